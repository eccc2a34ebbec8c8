package oracle

import (
	"fmt"
	"strings"

	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/simulators/simkit"
)

// LostEffects lists the webhooks firmaflow answered 2xx while the process
// was still running whose effect is not in its final state: the provider
// was told "received" and will never say it again, so such an event is
// lost for good. Events answered after the process ended are left to
// Compare (the final state must already agree with them).
func LostEffects(st signing.State, res signing.Result, led simkit.ProcessLedger) []string {
	var lost []string
	signer := map[string]signing.SignerStatus{}
	for _, s := range st.Signers {
		signer[strings.ToLower(s.Email)] = s.Status
	}
	for _, w := range led.Webhooks {
		if !w.Delivered() || (!res.EndedAt.IsZero() && w.Answered2xx.After(res.EndedAt)) {
			continue
		}
		called := func(kinds ...string) bool { // a call made after the event
			for _, c := range led.Calls {
				for _, k := range kinds {
					if c.Kind == k && c.Status/100 == 2 && !c.At.Before(w.PostedAt) {
						return true
					}
				}
			}
			return false
		}
		ok := true
		switch w.Kind {
		case simkit.EventSigned:
			ok = signer[strings.ToLower(w.Signer)] == signing.SignerSigned
		case simkit.EventRejected:
			ok = st.Status == signing.StatusRejected && (w.Signer == "" || strings.EqualFold(refEmail(st.RejectedBy), w.Signer))
		case simkit.EventCancelled:
			// After firmaflow's own withdrawal the provider echoes a
			// cancellation: any end is right then.
			ok = st.Status == signing.StatusCancelled || (st.Status.Terminal() && withdrewBefore(led, w))
		case simkit.EventCompleted:
			ok = st.Status == signing.StatusCompleted
		case simkit.EventExpired:
			ok = st.Status == signing.StatusExpired || called(simkit.CallRenewal)
		case simkit.EventDeliveryFailed:
			ok = signer[strings.ToLower(w.Signer)] == signing.SignerDeliveryFailed || st.Status == signing.StatusDeliveryFailed ||
				called(simkit.CallResend, simkit.CallRenewal)
		case simkit.EventNoTokens:
			ok = st.TokenChecks > 0 || st.FinishedWithTokens || st.Status == signing.StatusCompleted
		}
		if !ok {
			who := ""
			if w.Signer != "" {
				who = " (" + w.Signer + ")"
			}
			lost = append(lost, fmt.Sprintf("event %s %s%s answered 2xx at %s, before the end, but the final state (%s) does not show it",
				w.EventID, w.Kind, who, w.Answered2xx.Format("15:04:05.000"), st.Status))
		}
	}
	return lost
}

func withdrewBefore(led simkit.ProcessLedger, w simkit.Webhook) bool {
	for _, c := range led.Calls {
		if c.Kind == simkit.CallCancel && c.Status/100 == 2 && !c.At.After(w.PostedAt) {
			return true
		}
	}
	return false
}
