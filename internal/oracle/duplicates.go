package oracle

import (
	"fmt"
	"sort"

	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// Duplicates lists the provider calls firmaflow made that nothing called
// for: a resend with no delivery failure since the last resend or renewal,
// a renewal with no expiry since the last, a second cancel, a second token
// spend, the same document downloaded twice. Sends are counted across
// ledgers by DuplicateSends.
func Duplicates(led simkit.ProcessLedger) []string {
	var dups []string
	failures, expiries := 0, 0 // causes not yet answered by a call
	type item struct {
		at   int64
		kind string
	}
	var seq []item
	for _, a := range led.Actions {
		switch a.Kind {
		case simkit.SignerDeliveryFailed:
			seq = append(seq, item{a.At.UnixNano(), "failure"})
		case string(simkit.OutcomeExpired):
			seq = append(seq, item{a.At.UnixNano(), "expiry"})
		}
	}
	cancels := 0
	for _, c := range led.Calls {
		switch c.Kind {
		case simkit.CallResend, simkit.CallRenewal:
			if c.Status/100 == 2 {
				seq = append(seq, item{c.At.UnixNano(), c.Kind})
			}
		case simkit.CallCancel:
			cancels++
		}
	}
	sort.SliceStable(seq, func(i, j int) bool { return seq[i].at < seq[j].at })
	for _, it := range seq {
		switch it.kind {
		case "failure":
			failures = 1
		case "expiry":
			expiries = 1
		case simkit.CallResend:
			if failures == 0 {
				dups = append(dups, "resend without a delivery failure since the last resend")
			}
			failures = 0
		case simkit.CallRenewal:
			if expiries == 0 {
				dups = append(dups, "renewal without an expiry since the last renewal")
			}
			// A renewal re-invites everyone: it answers failures too.
			expiries, failures = 0, 0
		}
	}
	if cancels > 1 {
		dups = append(dups, fmt.Sprintf("%d cancel calls", cancels))
	}
	if n := led.CallCount(simkit.CallTokenSpend); n > 1 {
		dups = append(dups, fmt.Sprintf("%d tokens spent", n))
	}
	served := map[string]int{}
	for _, d := range led.Downloads {
		served[d.Path]++
	}
	for path, n := range served {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s downloaded %d times", path, n))
		}
	}
	return dups
}

// DuplicateSends counts provider processes beyond the first opened for
// each name (firmaflow's title, unique per process in the tests), keyed
// "provider: name".
func DuplicateSends(ledgers []simkit.ProcessLedger) map[string]int {
	byName := map[string]int{}
	for _, l := range ledgers {
		byName[l.Provider+": "+l.Name]++
	}
	out := map[string]int{}
	for name, n := range byName {
		if n > 1 {
			out[name] = n - 1
		}
	}
	return out
}
