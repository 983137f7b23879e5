package upstream

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Options configures a Client. Zero values mean the documented defaults.
type Options struct {
	BaseURL   string // required
	AccessKey string // required
	SecretKey string // required; never logged or returned in errors
	UserID    string
	Language  string // sent as country/language; default "en"

	QPS         float64       // shared rate limit; default 5; <0 means unlimited
	Burst       int           // default 1
	Concurrency int           // max requests in flight; default 4
	Timeout     time.Duration // per attempt; default 15s
	MaxAttempts int           // default 5
	RetryCodes  []int         // envelope codes retried; default [429]
	// BackoffBase and BackoffMax bound the retry backoff (defaults 500ms, 30s).
	BackoffBase, BackoffMax time.Duration
	Paths                   map[Kind]string // per-kind path overrides
	MaxBodyBytes            int64           // default 8 MiB
	HTTPClient              *http.Client    // default: a client with sane transport timeouts
	Logger                  *slog.Logger
	Hooks                   Hooks
}

// Hooks are optional callbacks for metrics. Each may be nil. They must be fast and safe for
// concurrent use.
type Hooks struct {
	// Request is called after every attempt with its kind, outcome ("ok", "retry",
	// "error", or "canceled") and duration.
	Request func(kind Kind, outcome string, d time.Duration)
	// LimiterWait is called with the time a request waited for the rate limiter.
	LimiterWait func(d time.Duration)
	// Retry is called before every retry with the reason class ("network", "timeout",
	// "http_429", "http_5xx", "body", "code_429", ...).
	Retry func(kind Kind, reason string)
}

// Client is a signed, rate-limited, retrying client of the PandaPon API. It is safe for
// concurrent use; every caller shares one rate limit and one cap on requests in flight.
type Client struct{}

// New returns a client, or an error naming the first bad option.
func New(opts Options) (*Client, error) { panic("not implemented") }

// FetchPage fetches and decodes one page of a listing query, retrying transient failures.
// Items that do not normalise are reported in Page.Invalid, not as an error. Errors are
// *APIError (upstream answered a non-success code), *HTTPError, or transport errors, wrapped
// with the kind and page; IsPermanent tells whether retrying later can help.
func (c *Client) FetchPage(ctx context.Context, req PageRequest) (*Page, error) {
	panic("not implemented")
}
