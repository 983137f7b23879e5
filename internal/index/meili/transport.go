package meili

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
)

// maxResponseBytes bounds every response body read (DESIGN §3 rule 6). The largest answer
// syncd asks for is a search page of at most index.MaxLimit offers, a few megabytes.
const maxResponseBytes = 64 << 20

// compressKey marks the context of a request whose body transport compresses.
type compressKey struct{}

// withCompressedBody makes the requests sent with ctx go out gzip-compressed
// (Content-Encoding: gzip, which every Meilisearch route accepts). Upsert and Rebuild use
// it for document batches: offer JSON shrinks several times, and batches are megabytes.
func withCompressedBody(ctx context.Context) context.Context {
	return context.WithValue(ctx, compressKey{}, true)
}

// transport is the http.RoundTripper under meilisearch-go and client.do. It does two things
// the SDK does not:
//
//   - It compresses the bodies of requests marked by withCompressedBody, and only those. The
//     SDK's own option, WithContentEncoding, compresses every request, and then decodes every
//     response body (and every error body) as compressed without looking at its
//     Content-Encoding (in meilisearch-go's client.go, handleResponse and Error.ErrorBody;
//     only the NDJSON streaming path checks responseUsesClientEncoding). Any answer that is
//     not compressed, from a reverse proxy, a load balancer's 502 page or a server that
//     ignores Accept-Encoding, then fails to decode, and Meilisearch's error codes are lost.
//     Without that option, responses are still compressed on the wire: net/http asks for
//     gzip and decompresses transparently, whatever the answer turns out to be.
//   - It bounds every response body to limit bytes (DESIGN §3 rule 6): the SDK reads bodies
//     with io.ReadAll.
type transport struct {
	base  http.RoundTripper // nil means http.DefaultTransport
	limit int64
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody && r.Context().Value(compressKey{}) != nil &&
		r.Header.Get("Content-Encoding") == "" {
		cr, err := compressRequest(r)
		if err != nil {
			return nil, err
		}
		r = cr
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &boundedBody{rc: resp.Body, left: t.limit, limit: t.limit, what: r.Method + " " + r.URL.Path}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the base transport, for
// http.Client.CloseIdleConnections.
func (t *transport) CloseIdleConnections() {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	if c, ok := base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// compressRequest returns a copy of r with its body gzip-compressed; it closes r.Body, as a
// RoundTripper must. BestSpeed keeps most of the bandwidth saving of offer JSON at a
// fraction of the CPU of the default level.
func compressRequest(r *http.Request) (*http.Request, error) {
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	if err != nil {
		r.Body.Close()
		return nil, err
	}
	_, err = io.Copy(zw, r.Body)
	r.Body.Close()
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("compress %s %s: %w", r.Method, r.URL.Path, err)
	}
	z := out.Bytes()
	cr := r.Clone(r.Context())
	cr.Body = io.NopCloser(bytes.NewReader(z))
	cr.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(z)), nil }
	cr.ContentLength = int64(len(z))
	cr.Header.Set("Content-Encoding", "gzip")
	return cr, nil
}

// boundedBody fails a read that goes past limit bytes, instead of growing without bound.
type boundedBody struct {
	rc    io.ReadCloser
	left  int64
	limit int64
	what  string // "METHOD /path", for the error
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var probe [1]byte
		n, err := b.rc.Read(probe[:])
		if n > 0 {
			return 0, fmt.Errorf("meilisearch answer to %s is larger than %d bytes", b.what, b.limit)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }
