package providers

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// ErrPrivateAddress is a connection refused because its address is
// internal or reserved.
var ErrPrivateAddress = errors.New("address is loopback, private, link-local or otherwise reserved")

// guardian holds IANA's special-purpose registries (IPv4 and IPv6) and
// refuses everything outside IPv6 global unicast. Ports are left to the
// host allowlists, which name them.
var guardian = ssrf.New(ssrf.WithAnyPort())

// publicOnly refuses connections to internal or reserved addresses at dial
// time, after name resolution, so a host name cannot be pointed inward.
func publicOnly(network, address string, conn syscall.RawConn) error {
	if err := guardian.Safe(network, address, conn); err != nil {
		return fmt.Errorf("dial %s: %w (%w)", address, ErrPrivateAddress, err)
	}
	return nil
}

// newOutboundTransport dials with control (nil: any address) and never
// through a proxy: a proxy from the environment would make the connection
// for us, past the dial-time check.
func newOutboundTransport(control func(network, address string, conn syscall.RawConn) error) *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, Control: control}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
}

var (
	guardedTransport = newOutboundTransport(publicOnly)
	// privateTransport serves the simulators on loopback and private
	// networks; only the "allow private" dev switch selects it.
	privateTransport = newOutboundTransport(nil)
)

func outboundTransport(allowPrivate bool) *http.Transport {
	if allowPrivate {
		return privateTransport
	}
	return guardedTransport
}

// OutboundClient is the client for calls to addresses that come from
// outside (callback URLs): with allowPrivate false it refuses internal
// addresses at dial time; it uses no proxy and follows no redirect.
func OutboundClient(allowPrivate bool) *http.Client {
	return &http.Client{
		Timeout:       time.Minute,
		Transport:     outboundTransport(allowPrivate),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
