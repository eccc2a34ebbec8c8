package autosign

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/firmaflow/firmaflow/providers"
)

// refresher is an oauth2.TokenSource over Autosign's JSON refresh endpoint
// (not the form-encoded flow x/oauth2's Config speaks).
type refresher struct {
	c *Client

	mu      sync.Mutex
	refresh string
}

func (r *refresher) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	body, _ := json.Marshal(RefreshRequest{ClientID: r.c.opts.ClientID, ClientSecret: r.c.opts.ClientSecret, RefreshToken: r.refresh})
	var out TokenResponse
	if err := r.c.postToken(context.Background(), "refresh token", pathRefresh, body, &out); err != nil {
		return nil, err
	}
	if out.RefreshToken != "" {
		r.refresh = out.RefreshToken // rotated
	}
	return &oauth2.Token{AccessToken: out.AccessToken, Expiry: time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
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
	t := &tokens{raw: &refresher{c: c, refresh: refreshToken}}
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
