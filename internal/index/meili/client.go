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

	"github.com/meilisearch/meilisearch-go"
)

// client is syncd's handle on one Meilisearch server: sm, the meilisearch-go
// ServiceManager, makes every call the SDK can express; do makes the two it cannot (the
// settings PATCH and the index swap, see doc.go). Both send through one *http.Client whose
// transport compresses document batches and bounds every answer, and both report errors the
// same way (check, apiError): an unreachable server names the URL, a refused key says so,
// and the API key never appears in an error (it is only ever sent in the Authorization
// header).
type client struct {
	sm    meilisearch.ServiceManager
	base  string // server URL without a trailing slash; may carry a path prefix (reverse proxy)
	where string // base with any password redacted, for messages and logs
	key   string
	hc    *http.Client // hc's transport is a *transport
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

	// A copy, so that the caller's client keeps its own transport.
	wrapped := *hc
	wrapped.Transport = &transport{base: hc.Transport, limit: maxResponseBytes}
	sm := meilisearch.New(base,
		meilisearch.WithAPIKey(key),
		meilisearch.WithCustomClient(&wrapped),
		// Only task polls may be repeated, and wait does that itself, within the task's
		// deadline and with the 5xx in its error. The SDK's retries (1s, 2s, 3s on 502-504)
		// would re-send writes, outlast short deadlines and hide the status.
		meilisearch.DisableRetries(),
		// No WithContentEncoding: see transport.
	)
	return &client{sm: sm, base: base, where: where, key: key, hc: &wrapped}, nil
}

// do sends one request the SDK cannot express (doc.go says which and why): body as JSON,
// the API key as a Bearer token. It decodes a JSON answer into out (when out is not nil);
// an answer with another status than want is an *APIError, like check makes of the SDK's.
// Path is already escaped and starts with "/".
func (cl *client) do(ctx context.Context, method, path string, body any, want int, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", method, path, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, cl.base+path, bytes.NewReader(data))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL and its password
		}
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cl.key != "" {
		req.Header.Set("Authorization", "Bearer "+cl.key)
	}
	req.Header.Set("User-Agent", meilisearch.GetQualifiedVersion()+" syncd")

	resp, err := cl.hc.Do(req)
	if err != nil {
		return cl.noAnswer(ctx, method, path, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body) // bounded by the transport
	if err != nil {
		return fmt.Errorf("read meilisearch answer to %s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		var e meilisearch.APIErrorDetails
		_ = json.Unmarshal(answer, &e) // a proxy may answer with HTML; the status still says enough
		return cl.apiError(method, path, resp.StatusCode, string(e.Code), e.Type, e.Message, e.Link)
	}
	if out == nil || len(answer) == 0 {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("decode meilisearch answer to %s %s: %w", method, path, err)
	}
	return nil
}

// closeIdle releases idle connections of the HTTP client.
func (cl *client) closeIdle() { cl.sm.Close() }
