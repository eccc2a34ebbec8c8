package config

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"time"

	envconfig "github.com/sethvargo/go-envconfig"
)

// Section is one provider's part of the configuration. The provider's
// module declares it (see providers.Module): a pointer to a struct of
// go-envconfig fields under the provider's own variables. This package
// names no provider; it only loads and checks what the modules declare.
type Section interface {
	// IsEnabled reports whether the provider is turned on.
	IsEnabled() bool
	// Secrets lists the section's secrets, for CheckSecrets.
	Secrets() []Secret
	// PublishedSecrets are values the provider's simulator publishes (the
	// dev stack's, the simulators' compose file's): they authenticate
	// nobody, so CheckSecrets refuses them anywhere.
	PublishedSecrets() []string
}

// Secret is one secret of a section.
type Secret struct {
	// Env is the variable that sets it: errors name it, never the value.
	Env   string
	Value string
	// RequiredBy are the roles that cannot authenticate callers without
	// it while the provider is enabled.
	RequiredBy []Role
}

// LoadProviders fills each of sections (provider name → an empty section
// from its module) from l and adds it to c.Providers.
func (c *Config) LoadProviders(ctx context.Context, l envconfig.Lookuper, sections map[string]Section) error {
	all := maps.Clone(c.Providers)
	if all == nil {
		all = map[string]Section{}
	}
	for name, section := range sections {
		if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: section, Lookuper: l}); err != nil {
			return fmt.Errorf("config: provider %s: %w", name, err)
		}
		all[name] = section
	}
	c.Providers = all
	return nil
}

// Variables returns the environment that reproduces section (a pointer
// to a struct of go-envconfig fields): what a test hands a worker binary
// so that it joins the same dev stack.
func Variables(section any) map[string]string {
	out := map[string]string{}
	v := reflect.Indirect(reflect.ValueOf(section))
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			out[name] = f.String()
		case reflect.Bool:
			out[name] = strconv.FormatBool(f.Bool())
		case reflect.Int, reflect.Int64:
			if d, ok := f.Interface().(time.Duration); ok {
				out[name] = d.String()
			} else {
				out[name] = strconv.FormatInt(f.Int(), 10)
			}
		case reflect.Slice:
			if strs, ok := f.Interface().([]string); ok {
				out[name] = strings.Join(strs, ",")
			}
		}
	}
	return out
}
