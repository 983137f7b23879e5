package meili

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxResponseBytes bounds every response body read (DESIGN §3 rule 6). The largest answer
// syncd asks for is a search page of at most index.MaxLimit offers, a few megabytes.
const maxResponseBytes = 64 << 20

// client speaks the few Meilisearch REST calls syncd needs. It owns the error wording the
// issue asks for: an unreachable server names the URL, a refused key says so, and the API
// key never appears in an error (it is only ever sent in the Authorization header).
type client struct {
	base  string // server URL without a trailing slash; may carry a path prefix (reverse proxy)
	where string // base with any password redacted, for messages and logs
	key   string
	hc    *http.Client
}

func newClient(rawURL, key string, hc *http.Client) (*client, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password included
		}
		return nil, fmt.Errorf("meilisearch url: want http://host:port or https://host: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("meilisearch url %q: want http://host:port or https://host", u.Redacted())
	}
	u.RawQuery, u.Fragment = "", ""
	base := strings.TrimRight(u.String(), "/")
	where := strings.TrimRight(u.Redacted(), "/")
	return &client{base: base, where: where, key: key, hc: hc}, nil
}

// call is one request. Path is already escaped and starts with "/".
type call struct {
	method string
	path   string
	query  url.Values
	body   any    // encoded as JSON when not nil and raw is nil
	raw    []byte // a pre-encoded JSON body
	gzip   bool   // raw is gzip-compressed
	want   int    // the expected status; 0 means 200
}

// do sends c and decodes a JSON answer into out (when out is not nil). Answers with another
// status than c.want are *APIError, wrapped with the server URL when the key was refused.
func (cl *client) do(ctx context.Context, c call, out any) error {
	body := c.raw
	if body == nil && c.body != nil {
		var err error
		if body, err = json.Marshal(c.body); err != nil {
			return fmt.Errorf("encode %s %s: %w", c.method, c.path, err)
		}
	}
	target := cl.base + c.path
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, target, rd)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL and its password
		}
		return fmt.Errorf("build %s %s: %w", c.method, c.path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if c.gzip {
			req.Header.Set("Content-Encoding", "gzip")
		}
	}
	if cl.key != "" {
		req.Header.Set("Authorization", "Bearer "+cl.key)
	}
	req.Header.Set("User-Agent", "syncd")

	resp, err := cl.hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("meilisearch %s %s: %w", c.method, c.path, ctxErr)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is named once, by us, without the query
			if ue.Timeout() {
				return fmt.Errorf("meilisearch at %s did not answer %s %s in time: %w", cl.where, c.method, c.path, err)
			}
		}
		return &unreachableError{where: cl.where, err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("read meilisearch answer to %s %s: %w", c.method, c.path, err)
	}
	if len(data) > maxResponseBytes {
		return fmt.Errorf("meilisearch answer to %s %s is larger than %d bytes", c.method, c.path, maxResponseBytes)
	}

	want := c.want
	if want == 0 {
		want = http.StatusOK
	}
	if resp.StatusCode != want {
		return cl.apiError(c, resp.StatusCode, data)
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode meilisearch answer to %s %s: %w", c.method, c.path, err)
	}
	return nil
}

// apiError turns an unexpected answer into an *APIError, and says plainly when the API key
// was missing or refused.
func (cl *client) apiError(c call, status int, data []byte) error {
	var body struct {
		Message string `json:"message"`
		Code    string `json:"code"`
		Type    string `json:"type"`
		Link    string `json:"link"`
	}
	_ = json.Unmarshal(data, &body) // a proxy may answer with HTML; the status still says enough
	ae := &APIError{Method: c.method, Path: c.path, StatusCode: status,
		Code: body.Code, Type: body.Type, Message: cl.scrub(body.Message), Link: body.Link}
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		return ae
	}
	if cl.key == "" || ae.Code == "missing_authorization_header" {
		return fmt.Errorf("meilisearch at %s requires an API key (set index.meilisearch.api_key): %w", cl.where, ae)
	}
	return fmt.Errorf("meilisearch at %s refused the API key (check index.meilisearch.api_key): %w", cl.where, ae)
}

// scrub removes the API key from text the server sent back. Meilisearch does not echo keys,
// but a proxy in front of it might, and secrets never appear in errors (DESIGN §3 rule 8).
func (cl *client) scrub(s string) string {
	if len(cl.key) < 4 {
		return s
	}
	return strings.ReplaceAll(s, cl.key, "[api key]")
}

// closeIdle releases idle connections of the HTTP client.
func (cl *client) closeIdle() { cl.hc.CloseIdleConnections() }
