// Package webhookbridge is the HTTP front door for providers' notifications:
// it authenticates each provider by its shared secret, caps and validates the
// body, maps it to neutral signing.Events with the provider's own parser, and
// delivers them to the owning SigningProcess as signals.
//
// Its promise to providers: a 2xx means every event in the request was
// delivered (or can have no effect because the process ended). Anything the
// bridge cannot deliver now is answered 5xx so the provider sends it again;
// a malformed or unauthenticated request is answered 4xx and signals nothing.
package webhookbridge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel/trace"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/providers"
)

// Options configure a Bridge.
type Options struct {
	Providers *providers.Registry
	// Secrets maps provider name to the shared secret its webhooks present.
	Secrets   map[string]string
	Deliverer Deliverer
	// Store receives documents that providers push inline (documents.go).
	Store *docstore.Store
	// MaxBodyBytes caps every webhook body; providers whose notifications
	// carry no files cap theirs lower (providers.BodyCappedWebhook).
	MaxBodyBytes int64
	// MaxSignedBodyBytes caps bodies read whole for signature checks.
	MaxSignedBodyBytes int64
	// MaxBufferedBytes bounds the bytes of signed bodies held in memory at
	// once before they are verified (default DefaultMaxBufferedBytes, and
	// never less than one signed body). A body that does not fit is
	// refused with 503 and Retry-After.
	MaxBufferedBytes int64
	// Ready reports whether the bridge can deliver (Temporal reachable).
	Ready  func(context.Context) error
	Logger *slog.Logger
	// API, when set, serves the authenticated process API under /api/v1.
	API *API
	// Server holds the HTTP server's timeouts, body pace and connection
	// cap; unset ones take DefaultServerLimits.
	Server ServerLimits
	// Metrics, when set, is served at GET /metrics (the process's
	// Prometheus page, telemetry.Metrics).
	Metrics http.Handler
	// TracerProvider, when set, traces every request (otelecho), carrying
	// the provider's trace context into the signals it causes. Unset, the
	// middleware is left out: with tracing off it would still build a span
	// and its attributes for every request, for nobody.
	TracerProvider trace.TracerProvider
}

// Bridge is the webhook bridge.
type Bridge struct {
	opts    Options
	echo    *echo.Echo
	handler http.Handler
	budget  *bodyBudget
	// routes are the patterns served, set once New has added them all.
	routes map[string]bool
}

// New builds the bridge's Echo server.
func New(opts Options) *Bridge {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 32 << 20
	}
	if opts.MaxSignedBodyBytes <= 0 || opts.MaxSignedBodyBytes > opts.MaxBodyBytes {
		opts.MaxSignedBodyBytes = opts.MaxBodyBytes
	}
	if opts.MaxBufferedBytes <= 0 {
		opts.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	// A signed body at its cap must fit, or it could never be accepted.
	opts.MaxBufferedBytes = max(opts.MaxBufferedBytes, opts.MaxSignedBodyBytes+bufferChunk)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.Recover())
	if opts.TracerProvider != nil {
		e.Use(otelecho.Middleware("firmaflow-bridge", otelecho.WithTracerProvider(opts.TracerProvider)))
	}
	opts.Server = opts.Server.withDefaults()
	b := &Bridge{opts: opts, echo: e, handler: paceBodies(e, opts.Server), budget: newBodyBudget(opts.MaxBufferedBytes)}
	if hm, err := newHTTPMetrics(); err != nil {
		opts.Logger.Warn("bridge HTTP metrics unavailable", "error", err)
	} else {
		e.Use(b.measure(hm))
	}
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", b.ready)
	e.POST("/webhooks/:provider", b.webhook)
	e.POST("/webhooks/:provider/*", b.webhook)
	if opts.API != nil {
		opts.API.mount(e.Group("/api/v1"), opts.Providers, opts.Logger)
	}
	if opts.Metrics != nil {
		e.GET("/metrics", metricsPage(opts.Metrics))
	}
	b.routes = routePatterns(e)
	return b
}

// Handler is the bridge as an http.Handler (for tests and embedding),
// bodies paced; serve it with Server and Listener for the other limits.
func (b *Bridge) Handler() http.Handler { return b.handler }

func (b *Bridge) ready(c echo.Context) error {
	if b.opts.Ready != nil {
		if err := b.opts.Ready(c.Request().Context()); err != nil {
			return c.String(http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
		}
	}
	return c.String(http.StatusOK, "ready\n")
}

func (b *Bridge) webhook(c echo.Context) error {
	name := c.Param("provider")
	hook, ok := b.opts.Providers.Webhook(name)
	if !ok {
		return c.JSON(http.StatusNotFound, map[string]string{"error": "unknown provider"})
	}
	r := c.Request()
	log := b.opts.Logger.With("provider", name, "remote", c.RealIP())
	secret := b.opts.Secrets[name]
	limit := b.bodyLimit(hook)
	var body io.Reader
	if signed, ok := hook.(providers.SignedWebhook); ok {
		buffered, status, err := b.readSigned(c, signed, secret, limit, log)
		if err != nil {
			return b.answer(c, hook, status, err)
		}
		defer buffered.Release()
		body = buffered.Reader()
	} else {
		// The token is in the headers or URL: refused before a byte of the
		// body is read.
		if !secretMatches(secret, presentedToken(r)) {
			log.Warn("webhook refused: bad or missing secret")
			return b.answer(c, hook, http.StatusUnauthorized, errors.New("unauthenticated"))
		}
		if r.ContentLength > limit {
			log.Warn("webhook refused: body too large", "limit", limit)
			return b.answer(c, hook, http.StatusRequestEntityTooLarge, errBodyTooLarge)
		}
		body = http.MaxBytesReader(c.Response(), r.Body, limit)
	}
	subpath := strings.Trim(c.Param("*"), "/")
	var stage *docstore.Staging
	var store providers.Store
	if b.opts.Store != nil {
		stage = b.opts.Store.Stage()
		store = stage
		defer discard(r.Context(), stage, log)
	}
	events, err := hook.Parse(r.Context(), subpath, r.Header, body, store)
	if err == nil && stage != nil {
		err = fileByContent(events, stage)
	}
	var invalid *providers.InvalidPayloadError
	switch {
	case err != nil && bodyTooSlow(r):
		// Whatever the parser made of the cut-off body: a redelivery at a
		// better pace can pass.
		log.Warn("webhook refused: body too slow")
		return b.answer(c, hook, http.StatusRequestTimeout, errBodyTooSlow)
	case tooLarge(err):
		log.Warn("webhook refused: body too large", "limit", limit)
		return b.answer(c, hook, http.StatusRequestEntityTooLarge, errors.New("body too large"))
	case errors.As(err, &invalid):
		log.Warn("webhook refused: invalid payload", "reason", invalid.Reason)
		return b.answer(c, hook, http.StatusBadRequest, err)
	case err == nil:
		err = validateEvents(events)
	}
	if status, final := finalStatus(err); final {
		log.Warn("webhook refused: event over its bounds", "status", status, "error", err)
		return b.answer(c, hook, status, err)
	}
	if err != nil {
		log.Error("webhook not accepted: parse", "error", err)
		return b.answer(c, hook, http.StatusServiceUnavailable, errors.New("temporarily unable to accept the notification"))
	}
	for _, ev := range events {
		if !ev.AccountWide && !ValidRef(ev.ProviderRef) {
			log.Warn("webhook refused: malformed process id")
			return b.answer(c, hook, http.StatusBadRequest, errors.New("malformed process id"))
		}
	}
	// Accepted: its documents go where its events say, before any event
	// is delivered. Should delivery then fail (503), the copies stay; they
	// are immutable, a redelivery files the same bytes under the same keys,
	// and an object no delivered event names is never in a result.
	if stage != nil {
		if err := stage.Promote(r.Context()); err != nil {
			log.Error("webhook not accepted: file documents", "error", err)
			c.Response().Header().Set("Retry-After", "5")
			return b.answer(c, hook, http.StatusServiceUnavailable, errors.New("temporarily unable to accept the notification"))
		}
	}
	for _, ev := range events {
		err := b.opts.Deliverer.Deliver(r.Context(), ev)
		switch {
		case err == nil:
			log.Info("event delivered", "provider_ref", ev.ProviderRef, "type", ev.Type, "key", ev.Key)
		case errors.Is(err, ErrOwnerEnded):
			log.Info("event for an ended process acknowledged", "provider_ref", ev.ProviderRef, "type", ev.Type)
		default:
			if status, final := finalStatus(err); final {
				log.Warn("event refused by Temporal; a retry cannot help", "provider_ref", ev.ProviderRef, "status", status, "error", err)
				return b.answer(c, hook, status, err)
			}
			log.Warn("event not delivered; provider must retry", "provider_ref", ev.ProviderRef, "type", ev.Type, "error", err)
			c.Response().Header().Set("Retry-After", "5")
			return b.answer(c, hook, http.StatusServiceUnavailable, err)
		}
	}
	return b.answer(c, hook, http.StatusOK, nil)
}

// readSigned buffers a signed body within the bridge's budget and verifies
// it. An unsigned request is refused before its body is read; a body over
// the route's cap or over what the budget has left is refused without
// being read whole. On error it returns the status to answer.
func (b *Bridge) readSigned(c echo.Context, signed providers.SignedWebhook, secret string, limit int64, log *slog.Logger) (*bufferedBody, int, error) {
	r := c.Request()
	if secret == "" || !signed.HasSignature(r.Header) {
		log.Warn("webhook refused: bad or missing signature")
		return nil, http.StatusUnauthorized, errors.New("unauthenticated")
	}
	buffered, err := b.budget.read(r.Body, r.ContentLength, limit)
	switch {
	case errors.Is(err, errBodyTooLarge):
		log.Warn("webhook refused: body too large", "limit", limit)
		return nil, http.StatusRequestEntityTooLarge, err
	case errors.Is(err, errOverBudget):
		log.Warn("webhook refused: buffer budget spent", "budget", b.opts.MaxBufferedBytes)
		c.Response().Header().Set("Retry-After", "5")
		return nil, http.StatusServiceUnavailable, err
	case bodyTooSlow(r):
		log.Warn("webhook refused: body too slow")
		return nil, http.StatusRequestTimeout, errBodyTooSlow
	case err != nil:
		return nil, http.StatusBadRequest, errors.New("unreadable body")
	}
	if !signed.Verify(r.Header, buffered.Reader(), secret) {
		buffered.Release()
		log.Warn("webhook refused: bad or missing signature")
		return nil, http.StatusUnauthorized, errors.New("unauthenticated")
	}
	return buffered, 0, nil
}

// bodyLimit is the largest body the hook's route takes: the general cap,
// lowered for signed bodies (read whole) and for providers that state a
// smaller one.
func (b *Bridge) bodyLimit(hook providers.Webhook) int64 {
	limit := b.opts.MaxBodyBytes
	if _, ok := hook.(providers.SignedWebhook); ok {
		limit = min(limit, b.opts.MaxSignedBodyBytes)
	}
	if capped, ok := hook.(providers.BodyCappedWebhook); ok && capped.MaxWebhookBodyBytes() > 0 {
		limit = min(limit, capped.MaxWebhookBodyBytes())
	}
	return limit
}

func tooLarge(err error) bool {
	var tooBig *http.MaxBytesError
	return errors.As(err, &tooBig)
}

// answer writes the provider's expected body with the bridge's status code.
func (b *Bridge) answer(c echo.Context, hook providers.Webhook, status int, err error) error {
	if c.Request().Context().Err() != nil {
		// The request's time ran out or its client left: the server has
		// given up reading this connection, so do not keep it alive. The
		// write deadline would normally close it, but a loaded machine can
		// run the handler before that deadline's timer fires.
		c.Response().Header().Set(echo.HeaderConnection, "close")
	}
	hook.Acknowledge(&statusWriter{ResponseWriter: c.Response(), status: status}, err)
	return nil
}

// statusWriter lets a provider's Acknowledge write its body while the bridge
// keeps control of the status code.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(int) {
	if !w.wrote {
		w.wrote = true
		w.ResponseWriter.WriteHeader(w.status)
	}
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(w.status)
	}
	return w.ResponseWriter.Write(p)
}
