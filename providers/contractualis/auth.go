package contractualis

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// session caches the JWT for all calls and renews it shortly before it
// expires, or when the API says it is no longer valid.
type session struct {
	login func(context.Context) (string, error)
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	jwt     string
	expires time.Time
}

// renewBefore renews a JWT this long before its exp, so a call never starts
// with a token about to lapse.
const renewBefore = time.Minute

func (s *session) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func (s *session) token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jwt != "" && s.clock().Before(s.expires.Add(-renewBefore)) {
		return s.jwt, nil
	}
	jwt, err := s.login(ctx)
	if err != nil {
		return "", err
	}
	s.jwt = jwt
	s.expires = jwtExpiry(jwt, s.clock().Add(s.ttl))
	return jwt, nil
}

// invalidate drops jwt if it is still the cached one (another caller may
// have renewed it already).
func (s *session) invalidate(jwt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jwt == jwt {
		s.jwt = ""
	}
}

// jwtExpiry reads the exp claim without verifying the token: it only tells
// when to renew; the API remains the judge of validity.
func jwtExpiry(jwt string, fallback time.Time) time.Time {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return fallback
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return fallback
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Exp == 0 {
		return fallback
	}
	return time.Unix(claims.Exp, 0)
}
