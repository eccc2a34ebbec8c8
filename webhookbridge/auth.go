package webhookbridge

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// TokenHeader carries a provider's shared secret. Providers that can only be
// given a URL put it in the "token" query parameter instead.
const TokenHeader = "X-Firmaflow-Token"

// presentedToken is the secret a request presents, from the header, a Bearer
// authorization, or the token query parameter, in that order.
func presentedToken(r *http.Request) string {
	if t := r.Header.Get(TokenHeader); t != "" {
		return t
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return a[7:]
	}
	return r.URL.Query().Get("token")
}

// secretMatches compares in constant time. Hashing first makes the
// comparison's time independent of the secret's length too. An empty
// configured secret matches nothing: a provider without a secret is closed.
func secretMatches(configured, presented string) bool {
	if configured == "" || presented == "" {
		return false
	}
	a := sha256.Sum256([]byte(configured))
	b := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}
