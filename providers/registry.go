package providers

import (
	"fmt"
	"sort"
)

// Registry holds the configured providers by name.
type Registry struct {
	providers map[string]Provider
	webhooks  map[string]Webhook
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{providers: map[string]Provider{}, webhooks: map[string]Webhook{}}
}

// Register adds a provider's API client and webhook parser.
func (r *Registry) Register(p Provider, w Webhook) {
	r.providers[p.Name()] = p
	r.webhooks[p.Name()] = w
}

// Provider returns the named provider's API client.
func (r *Registry) Provider(name string) (Provider, error) {
	p, ok := r.providers[name]
	if !ok {
		return nil, fmt.Errorf("unknown provider %q (configured: %v)", name, r.Names())
	}
	return p, nil
}

// Webhook returns the named provider's webhook parser.
func (r *Registry) Webhook(name string) (Webhook, bool) {
	w, ok := r.webhooks[name]
	return w, ok
}

// Names lists the configured providers, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.providers))
	for n := range r.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
