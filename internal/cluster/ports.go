package cluster

import (
	"fmt"
	"net"
	"strconv"

	"github.com/firmaflow/firmaflow/internal/devserver"
)

// Ports lays out every fixed port of the profile from one base, so a
// whole profile moves with one number. Temporal's membership ports must
// stay at or below 32767 (its ring refuses higher ones), so bases are
// chosen low.
type Ports struct{ Base int }

// The offsets from Base; portCount covers them all.
const (
	offPostgres = iota
	offFrontend
	offFrontendMembership
	offFrontendHTTP
	offHistory
	offHistoryMembership
	offMatching
	offMatchingMembership
	offTemporalWorker
	offTemporalWorkerMembership
	offServerMetrics
	offFront       = 20 // the bridges' front: where providers post webhooks
	offBridges     = 21 // + i, up to maxProcesses
	offWorkerStats = 25 // + i: each worker's metrics
	offSimulators  = 30 // + i, one per provider
	portCount      = 40
	maxProcesses   = 4
)

func (p Ports) at(off int) int { return p.Base + off }

func (p Ports) addr(off int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.at(off))) }

// Postgres is PostgreSQL's port.
func (p Ports) Postgres() int { return p.at(offPostgres) }

// Frontend is the Temporal frontend's host:port.
func (p Ports) Frontend() string { return p.addr(offFrontend) }

// ServerMetrics is the Temporal server's Prometheus address.
func (p Ports) ServerMetrics() string { return p.addr(offServerMetrics) }

// Front is the address where the simulators post their webhooks; it hands
// each to one of the bridges.
func (p Ports) Front() string { return p.addr(offFront) }

// Bridge is bridge i's address (its webhooks, API and /metrics).
func (p Ports) Bridge(i int) string { return p.addr(offBridges + i) }

// WorkerMetrics is worker i's Prometheus address.
func (p Ports) WorkerMetrics(i int) string { return p.addr(offWorkerStats + i) }

// Simulator is the i-th provider simulator's address.
func (p Ports) Simulator(i int) string { return p.addr(offSimulators + i) }

// FreePorts finds a base in [from, to) whose whole block of ports is free
// now, trying blocks of portCount ports (tests; a fixed base is for people).
func FreePorts(from, to int) (Ports, error) {
	for base := from; base+portCount <= to; base += portCount {
		if blockFree(base) {
			return Ports{Base: base}, nil
		}
	}
	return Ports{}, fmt.Errorf("cluster: no free block of %d ports in [%d, %d)", portCount, from, to)
}

func blockFree(base int) bool { return Ports{Base: base}.CheckFree() == nil }

// CheckFree reports the first port of the block that is taken (another
// profile or server running), as a *devserver.PortInUseError: the profile
// refuses to start rather than half-start beside it.
func (p Ports) CheckFree() error {
	if p.Base <= 0 || p.Base+portCount > 32768 {
		return fmt.Errorf("cluster: port base %d out of range: Temporal's membership ports must stay at or below 32767", p.Base)
	}
	for port := p.Base; port < p.Base+portCount; port++ {
		if err := devserver.CheckFree(fmt.Sprintf("scale-out profile (base %d)", p.Base), net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
			return err
		}
	}
	return nil
}
