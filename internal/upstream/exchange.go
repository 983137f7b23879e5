package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// errorBodyLen bounds what is read of a non-2xx body: enough for a message, not a page.
const errorBodyLen = 4 << 10

// bufPool recycles response buffers; buffers that grew past maxPooledBuf are dropped.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuf = 1 << 20

// exchange makes one attempt: a freshly signed POST of body to path, under Options.Timeout,
// its answer read through the size limit and handed to decode. It returns how long upstream
// asked to wait before retrying (-1 when it did not say) and the attempt's error, classified
// for call: *APIError, *HTTPError, *transientError, or a permanent error.
func (c *Client) exchange(ctx context.Context, kind Kind, path string, body []byte, decode func([]byte) error) (time.Duration, error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return -1, fmt.Errorf("build request: %w", err)
	}
	c.sign(req.Header)
	resp, err := c.http.Do(req)
	if err != nil {
		return -1, transportError(err, actx.Err() != nil && ctx.Err() == nil)
	}
	defer resp.Body.Close()
	retryAfter := time.Duration(-1)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode/100 == 2 {
		retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	}

	if resp.StatusCode/100 != 2 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyLen))
		return retryAfter, &HTTPError{Status: resp.StatusCode, Body: sanitize(string(snippet), c.secret), Kind: kind, Path: path}
	}

	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuf {
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	if resp.ContentLength > 0 && resp.ContentLength <= c.opts.MaxBodyBytes {
		buf.Grow(int(resp.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, c.opts.MaxBodyBytes+1))
	if err != nil {
		return -1, transportError(fmt.Errorf("read response body: %w", err), actx.Err() != nil && ctx.Err() == nil)
	}
	if n > c.opts.MaxBodyBytes {
		return -1, fmt.Errorf("%w: %s answered more than the limit of %d bytes", ErrBodyTooLarge, path, c.opts.MaxBodyBytes)
	}
	err = decode(buf.Bytes())
	var ae *APIError
	if errors.As(err, &ae) {
		ae.Kind, ae.Path = kind, path
		ae.Retryable = c.retryCode(ae.Code)
		if !ae.Retryable {
			retryAfter = -1
		}
		return retryAfter, ae
	}
	return -1, err
}

// sign sets the system headers with a new timestamp, nonce and signature (API.md §1.2). The
// header names are set verbatim, in the lower case the documentation uses.
func (c *Client) sign(h http.Header) {
	ts := strconv.FormatInt(c.now().UnixMilli(), 10)
	nonce := c.nonce()
	h["Content-Type"] = []string{"application/json"}
	h[HeaderAccessKey] = []string{c.opts.AccessKey}
	h[HeaderTimestamp] = []string{ts}
	h[HeaderNonce] = []string{nonce}
	h[HeaderUserID] = []string{c.opts.UserID}
	h[HeaderSignature] = []string{Sign(c.opts.AccessKey, ts, nonce, c.secret)}
}

func (c *Client) retryCode(code int) bool {
	for _, rc := range c.opts.RetryCodes {
		if rc == code {
			return true
		}
	}
	return false
}
