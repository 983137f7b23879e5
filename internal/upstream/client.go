package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Options configures a Client. Zero values mean the documented defaults.
type Options struct {
	BaseURL   string // required: http or https, with an optional path prefix
	AccessKey string // required
	SecretKey string // required; never logged or returned in errors
	UserID    string // required: upstream needs the user-id header (API.md §1.2)
	Language  string // sent as country/language; default "en"

	QPS   float64 // shared rate limit; default 5; <0 means unlimited
	Burst int     // default 1
	// Concurrency caps requests in flight; 0 means enough to use QPS at up to
	// AutoConcurrencyLatency of latency (at least DefaultConcurrency, at most
	// MaxAutoConcurrency).
	Concurrency int
	Timeout     time.Duration // per attempt; default 15s
	MaxAttempts int           // default 5
	// RetryCodes are the envelope codes retried; nil means [429], while an empty non-nil
	// list retries no code (config: "retry_codes: []").
	RetryCodes []int
	// BackoffBase and BackoffMax bound the retry backoff (defaults 500ms, 30s).
	BackoffBase, BackoffMax time.Duration
	Paths                   map[Kind]string // per-kind path overrides, each starting with "/"
	MaxBodyBytes            int64           // default 8 MiB
	HTTPClient              *http.Client    // default: a client with sane transport timeouts
	Logger                  *slog.Logger    // default: discard
	Hooks                   Hooks
}

// The defaults of Options.
const (
	DefaultLanguage     = "en"
	DefaultQPS          = 5
	DefaultBurst        = 1
	DefaultConcurrency  = 4
	DefaultTimeout      = 15 * time.Second
	DefaultMaxAttempts  = 5
	DefaultBackoffBase  = 500 * time.Millisecond
	DefaultBackoffMax   = 30 * time.Second
	DefaultMaxBodyBytes = 8 << 20
)

// String describes o with the secret key masked, so that printing Options never leaks it.
func (o Options) String() string {
	o.SecretKey = mask(o.SecretKey)
	type plain Options // drops this method
	return fmt.Sprintf("%+v", plain(o))
}

// LogValue logs o with the secret key masked.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Hooks are optional callbacks for metrics. Each may be nil. They must be fast and safe for
// concurrent use.
type Hooks struct {
	// Request is called after every attempt with its kind, outcome (OutcomeOK, OutcomeRetry,
	// OutcomeError, or OutcomeCanceled) and duration. An attempt canceled while waiting to be
	// admitted reports the time it waited.
	Request func(kind Kind, outcome string, d time.Duration)
	// LimiterWait is called with the time a request waited for the rate limiter, once per
	// attempt that got a token.
	LimiterWait func(d time.Duration)
	// Retry is called before every retry with the reason class ("network", "timeout",
	// "body", "http_429", "http_5xx", "code_429", ...).
	Retry func(kind Kind, reason string)
}

// Client is a signed, rate-limited, retrying client of the PandaPon API. It is safe for
// concurrent use; every caller shares one rate limit and one cap on requests in flight.
type Client struct {
	opts   Options // with defaults applied and SecretKey cleared
	secret string
	base   string // BaseURL without a trailing slash
	http   *http.Client
	own    *http.Transport // the default transport, closed by Close; nil for Options.HTTPClient
	gate   *gate
	log    *slog.Logger
	// latency averages successful attempts, for Pace.
	latency latencyEWMA

	// Seams for tests.
	now    func() time.Time
	nonce  func() string
	jitter func(n int64) int64 // uniform in [0, n)
}

// New returns a client, or an error naming the first bad option. It makes no request.
func New(opts Options) (*Client, error) {
	if err := opts.applyDefaults(); err != nil {
		return nil, err
	}
	c := &Client{
		opts:   opts,
		secret: opts.SecretKey,
		base:   strings.TrimRight(opts.BaseURL, "/"),
		http:   opts.HTTPClient,
		gate:   newGate(opts.QPS, opts.Burst, opts.Concurrency, opts.Hooks.LimiterWait),
		log:    opts.Logger,
		now:    time.Now,
		nonce:  NewNonce,
		jitter: rand.Int64N,
	}
	c.opts.SecretKey = ""
	if c.http == nil {
		c.own = newTransport(opts.Concurrency, opts.Timeout)
		c.http = &http.Client{
			Transport: c.own,
			// A redirected POST turns into a GET without its body; show the redirect instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return c, nil
}

func (o *Options) applyDefaults() error {
	u, err := url.Parse(o.BaseURL)
	switch {
	case o.BaseURL == "":
		return errors.New("upstream base URL is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("upstream base URL %q: want http(s)://host[/prefix]", o.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("upstream base URL %q: want no query or fragment", o.BaseURL)
	case o.AccessKey == "":
		return errors.New("upstream access key is required")
	case o.SecretKey == "":
		return errors.New("upstream secret key is required")
	case o.UserID == "":
		return errors.New("upstream user id is required")
	case o.Burst < 0, o.Concurrency < 0, o.MaxAttempts < 0, o.Timeout < 0,
		o.BackoffBase < 0, o.BackoffMax < 0, o.MaxBodyBytes < 0:
		return errors.New("upstream options: burst, concurrency, max attempts, timeout, backoff and body limit must not be negative")
	}
	for k, p := range o.Paths {
		if _, ok := Lookup(k); !ok {
			return fmt.Errorf("upstream path for unknown kind %q", k)
		}
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("upstream path for %s %q: want an absolute path starting with /", k, p)
		}
	}
	setDefault(&o.Language, DefaultLanguage)
	setDefault(&o.QPS, DefaultQPS)
	setDefault(&o.Burst, DefaultBurst)
	if o.Concurrency == 0 {
		o.Concurrency = autoConcurrency(o.QPS)
	}
	setDefault(&o.Timeout, DefaultTimeout)
	setDefault(&o.MaxAttempts, DefaultMaxAttempts)
	setDefault(&o.BackoffBase, DefaultBackoffBase)
	setDefault(&o.BackoffMax, DefaultBackoffMax)
	setDefault(&o.MaxBodyBytes, DefaultMaxBodyBytes)
	if o.RetryCodes == nil {
		o.RetryCodes = []int{429}
	}
	if o.BackoffMax < o.BackoffBase {
		return fmt.Errorf("upstream backoff max %s is below backoff base %s", o.BackoffMax, o.BackoffBase)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// newTransport returns the default transport: bounded dial, TLS and header waits, and enough
// idle connections per host for every request in flight to reuse one.
func newTransport(concurrency int, timeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          max(100, concurrency),
		MaxIdleConnsPerHost:   max(2, concurrency),
		ForceAttemptHTTP2:     true,
	}
}

// Close releases the idle connections of the default transport. It does not wait for
// requests in flight, and the client stays usable (new connections are dialled as needed).
// It never fails; the error is for io.Closer.
func (c *Client) Close() error {
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
	return nil
}

// String describes c without its secret key.
func (c *Client) String() string { return "upstream.Client(" + c.base + ")" }

// Endpoint returns the endpoint row of kind k with the path this client uses (the
// Options.Paths override, if any). An unknown kind yields an Endpoint with only Kind set.
func (c *Client) Endpoint(k Kind) Endpoint {
	ep, ok := Lookup(k)
	if !ok {
		return Endpoint{Kind: k}
	}
	ep.Path = c.path(k)
	return ep
}

func (c *Client) path(k Kind) string {
	if p, ok := c.opts.Paths[k]; ok {
		return p
	}
	ep, _ := Lookup(k)
	return ep.Path
}

// FetchPage fetches and decodes one page of a listing query, retrying transient failures.
// Items that do not normalise are reported in Page.Invalid, not as an error. The request is
// validated first (ValidatePage) and costs nothing when invalid. Errors are *APIError
// (upstream answered a non-success code), *HTTPError, or transport errors, wrapped with the
// kind and page; IsPermanent tells whether retrying later can help. When ctx is done,
// FetchPage returns ctx.Err() itself, at once, whatever it was waiting for.
func (c *Client) FetchPage(ctx context.Context, req PageRequest) (*Page, error) {
	if err := ValidatePage(req); err != nil {
		return nil, err
	}
	ep, _ := Lookup(req.Query.Kind)
	body := appendBody(make([]byte, 0, 256), ep, c.opts.Language, req.Query, req.Page, req.PageSize)
	var page *Page
	err := c.call(ctx, ep, req.Page, body, func(b []byte) error {
		var err error
		page, err = decodePage(b, c.secret)
		return err
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// Detail fetches one offer from the detail endpoint, with the same limits and retries as
// FetchPage. An answer whose item does not normalise is a permanent error wrapping
// ErrUnexpectedShape and an ItemError.
func (c *Client) Detail(ctx context.Context, offerID string) (*Offer, error) {
	ep, _ := Lookup(KindDetail)
	q := Query{Kind: KindDetail, OfferID: offerID}
	if err := validateQuery(ep, q); err != nil {
		return nil, err
	}
	body := appendBody(make([]byte, 0, 128), ep, c.opts.Language, q, 0, 0)
	var offer *Offer
	err := c.call(ctx, ep, 0, body, func(b []byte) error {
		var err error
		offer, err = decodeDetail(b, c.secret)
		return err
	})
	if err != nil {
		return nil, err
	}
	return offer, nil
}
