package providers

import (
	"net"
	"net/url"
	"slices"
	"strings"
)

// HostAllowed reports whether u's host and port are on the allowlist.
// An entry "host:port" allows that port only; an entry without a port
// allows only the default port of u's scheme (443 for https, 80 for http),
// so an allowed name cannot be used to reach its other services.
func HostAllowed(u *url.URL, entries []string) bool {
	if u == nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	if port == "" {
		return false
	}
	return slices.ContainsFunc(entries, func(entry string) bool {
		entry = strings.ToLower(strings.TrimSpace(entry))
		entryHost, entryPort, err := net.SplitHostPort(entry)
		if err != nil {
			entryHost, entryPort = strings.Trim(entry, "[]"), defaultPort(u.Scheme)
		}
		return entryHost != "" && entryHost == host && entryPort == port
	})
}

func defaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
