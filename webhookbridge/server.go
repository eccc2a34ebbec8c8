package webhookbridge

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// ServerLimits cut off clients that send slowly or not at all, and bound
// how many connections the bridge serves at once. Without them, 500
// connections trickling a byte every 5 s stayed open for as long as the
// clients liked.
type ServerLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included: a
	// backstop sized for the largest body at MinBodyRate.
	ReadTimeout time.Duration
	// BodyGrace and MinBodyRate pace a body: every MinBodyRate×BodyGrace
	// bytes of it must arrive within BodyGrace of the previous ones, so a
	// trickle is cut off after BodyGrace while a large body sent at
	// MinBodyRate or faster is read to its end.
	BodyGrace   time.Duration
	MinBodyRate int64 // bytes per second
	// WriteTimeout bounds handling a request once its body is read, and
	// writing the answer.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection that sends no new request.
	IdleTimeout time.Duration
	// MaxConns caps open connections; further ones wait to be accepted.
	MaxConns int
}

// DefaultServerLimits are the defaults of config.Bridge.
var DefaultServerLimits = ServerLimits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       10 * time.Minute,
	BodyGrace:         10 * time.Second,
	MinBodyRate:       256 << 10,
	WriteTimeout:      time.Minute,
	IdleTimeout:       time.Minute,
	MaxConns:          256,
}

// maxHeaderBytes bounds a request's headers (net/http's default is 1 MiB):
// webhooks and API calls send a few hundred bytes, and MaxConns connections
// each holding 1 MiB of headers would be a memory attack of their own.
const maxHeaderBytes = 64 << 10

// withDefaults fills every unset limit from DefaultServerLimits.
func (l ServerLimits) withDefaults() ServerLimits {
	d := DefaultServerLimits
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	set(&l.ReadTimeout, d.ReadTimeout)
	set(&l.BodyGrace, d.BodyGrace)
	set(&l.WriteTimeout, d.WriteTimeout)
	set(&l.IdleTimeout, d.IdleTimeout)
	if l.MinBodyRate <= 0 {
		l.MinBodyRate = d.MinBodyRate
	}
	if l.MaxConns <= 0 {
		l.MaxConns = d.MaxConns
	}
	return l
}

// Server is the bridge's http.Server with its limits; serve it on
// Listener(ln) to cap its connections too.
func (b *Bridge) Server() *http.Server {
	l := b.opts.Server
	return &http.Server{
		Handler:           b.Handler(),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		// From the end of the headers: the body's read, then the handling.
		// Once the body is read, the pacing tightens it to WriteTimeout.
		WriteTimeout:   l.ReadTimeout + l.WriteTimeout,
		IdleTimeout:    l.IdleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(b.opts.Logger.Handler(), slog.LevelWarn),
	}
}

// Listener caps ln at MaxConns open connections: the next one is accepted
// when one closes (it waits in the kernel's backlog meanwhile).
func (b *Bridge) Listener(ln net.Listener) net.Listener {
	return netutil.LimitListener(ln, b.opts.Server.MaxConns)
}

// Serve listens on addr until ctx ends, then drains in-flight requests.
func (b *Bridge) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bridge: listen: %w", err)
	}
	return b.ServeListener(ctx, ln)
}

// ServeListener serves on ln until ctx ends, then drains in-flight requests.
func (b *Bridge) ServeListener(ctx context.Context, ln net.Listener) error {
	srv := b.Server()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(b.Listener(ln)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
