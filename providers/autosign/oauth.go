package autosign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/firmaflow/firmaflow/providers"
)

// refresher is an oauth2.TokenSource over Autosign's JSON refresh endpoint
// (not the form-encoded flow x/oauth2's Config speaks).
//
// Autosign may rotate the refresh token on every refresh, invalidating the
// one used. The current one therefore lives in the shared credential store
// (when one is configured), not in this worker's memory: every refresh starts
// from the stored token, and a rotated one is stored before it is used, so
// other workers and a restarted one carry on with it.
type refresher struct {
	c *Client

	mu sync.Mutex
	// refresh is the token this worker used last; configured is
	// AUTOSIGN_REFRESH_TOKEN, tried when the stored one is refused (after
	// the app was authorised anew).
	refresh, configured string
	// unsaved: a rotated token the store did not take yet.
	unsaved bool
}

func (r *refresher) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store := r.c.opts.Credentials
	var stored string
	if store != nil && !r.unsaved {
		var err error
		stored, err = store.LoadCredential(ctx, r.c.credentialName())
		if err != nil {
			return nil, fmt.Errorf("autosign: refresh token: %w", err)
		}
		if stored != "" {
			r.refresh = stored
		}
	}
	// Candidates in order: the current token; the stored one read again
	// (another worker may have rotated it a moment ago); the configured one.
	candidates := []func() string{
		func() string { return r.refresh },
		func() string {
			if store == nil {
				return ""
			}
			again, err := store.LoadCredential(ctx, r.c.credentialName())
			if err != nil {
				return ""
			}
			stored = again
			return again
		},
		func() string { return r.configured },
	}
	tried := map[string]bool{}
	var out TokenResponse
	var err error
	for _, next := range candidates {
		candidate := next()
		if candidate == "" || tried[candidate] {
			continue
		}
		tried[candidate] = true
		body, _ := json.Marshal(RefreshRequest{ClientID: r.c.opts.ClientID, ClientSecret: r.c.opts.ClientSecret, RefreshToken: candidate})
		out = TokenResponse{}
		if err = r.c.postToken(ctx, "refresh token", pathRefresh, body, &out); err == nil {
			// A token that works but is not the stored one (the configured
			// one after a new authorisation) replaces the refused one.
			r.refresh, r.unsaved = candidate, r.unsaved || (store != nil && candidate != stored)
			break
		}
		var apiErr *providers.APIError
		if !errors.As(err, &apiErr) || (apiErr.StatusCode != http.StatusUnauthorized && apiErr.StatusCode != http.StatusBadRequest) {
			return nil, err // not a refused token: the store's may still be good
		}
	}
	if err != nil {
		return nil, err
	}
	if len(tried) == 0 {
		return nil, errors.New("autosign: no refresh token configured (AUTOSIGN_REFRESH_TOKEN)")
	}
	if out.RefreshToken != "" && out.RefreshToken != r.refresh {
		r.refresh, r.unsaved = out.RefreshToken, true // rotated: the old one is void
	}
	if r.unsaved && store != nil {
		if err := store.SaveCredential(ctx, r.c.credentialName(), r.refresh); err != nil {
			// Keep using it here and try to store it again on the next
			// refresh; the value itself is never logged.
			slog.Warn("autosign: could not store the rotated refresh token; other workers will fail to refresh until it is", "error", err)
		} else {
			r.unsaved = false
		}
	} else if store == nil {
		r.unsaved = false
	}
	return &oauth2.Token{AccessToken: out.AccessToken, Expiry: time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
}

// credentialName is where this OAuth app's refresh token is stored: one per
// client id (hashed, so any id makes a valid store key).
func (c *Client) credentialName() string {
	sum := sha256.Sum256([]byte(c.opts.BaseURL + "\x00" + c.opts.ClientID))
	return "autosign/" + hex.EncodeToString(sum[:8]) + "/refresh-token"
}

// tokens caches the access token and refreshes it a minute before it
// expires (oauth2.ReuseTokenSourceWithExpiry); reset forces a refresh after
// a 401.
type tokens struct {
	mu  sync.Mutex
	src oauth2.TokenSource
	raw *refresher
}

func newTokens(c *Client, refreshToken string, initial *oauth2.Token) *tokens {
	t := &tokens{raw: &refresher{c: c, refresh: refreshToken, configured: refreshToken}}
	t.src = oauth2.ReuseTokenSourceWithExpiry(initial, t.raw, time.Minute)
	return t
}

func (t *tokens) token() (string, error) {
	t.mu.Lock()
	src := t.src
	t.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

func (t *tokens) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.src = oauth2.ReuseTokenSourceWithExpiry(nil, t.raw, time.Minute)
}

// ExchangeCode trades an authorization code for tokens (the OAuth app's
// one-time set-up; keep the refresh token in AUTOSIGN_REFRESH_TOKEN).
func (c *Client) ExchangeCode(ctx context.Context, code string) (TokenResponse, error) {
	body, _ := json.Marshal(CodeRequest{ClientID: c.opts.ClientID, ClientSecret: c.opts.ClientSecret, Code: code})
	var out TokenResponse
	err := c.postToken(ctx, "exchange code", pathToken, body, &out)
	return out, err
}

func (c *Client) postToken(ctx context.Context, op, path string, body []byte, out *TokenResponse) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := providers.Call(c.http, Name, op, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil || out.AccessToken == "" {
		return &providers.APIError{Provider: Name, Op: op, StatusCode: http.StatusBadGateway, Message: "no access_token in the answer", Err: err}
	}
	return nil
}
