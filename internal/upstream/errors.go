package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode/utf8"
)

// ErrInvalidRequest is wrapped by every error FetchPage and Detail return for a request they
// refuse to send (unknown kind, missing parameter, page out of range). No quota is spent on
// such a request, and it is permanent.
var ErrInvalidRequest = errors.New("invalid upstream request")

// ErrBodyTooLarge is wrapped by the error returned when a response body exceeds
// Options.MaxBodyBytes. It is permanent: a well-behaved upstream never sends such a page.
var ErrBodyTooLarge = errors.New("upstream response body too large")

// ErrUnexpectedShape is wrapped by the error returned when upstream answers with valid JSON
// that is not the documented envelope or page (for example data.data is not an array). It is
// permanent: the same request would get the same answer.
var ErrUnexpectedShape = errors.New("unexpected upstream response shape")

// APIError is a response whose envelope code is not 200 (CodeOK). Code, Msg and RequestID
// are what upstream sent (Msg cut to 200 bytes, control characters removed); Kind and Path
// name the request. The message says what to check, since the codes are undocumented.
type APIError struct {
	Code      int
	Msg       string
	RequestID string
	Kind      Kind
	// Path is the request path the code answered.
	Path string
	// Retryable reports whether Code is one of the client's Options.RetryCodes.
	Retryable bool
}

// Error describes the code and the configuration to check.
func (e *APIError) Error() string {
	what := fmt.Sprintf("code %d: %s", e.Code, e.Msg)
	if e.RequestID != "" {
		what += ", request id " + e.RequestID
	}
	// The codes are undocumented, so the message text decides first. A message about the
	// signature may well name the timestamp too, as an input of the formula: the signature
	// wins.
	msg := strings.ToLower(e.Msg)
	signature, timestamp := mentionsSignature(msg), mentionsTimestamp(msg)
	switch {
	case e.Retryable:
		return fmt.Sprintf("upstream asked to retry later (%s): lower upstream.qps if this persists", what)
	case timestamp && !signature:
		return fmt.Sprintf("upstream rejected the request timestamp (%s): check the system clock, which must be within 600s of UTC", what)
	case signature || e.Code == 401 || e.Code == 403:
		return fmt.Sprintf("upstream rejected the signature (%s): check upstream.access_key and upstream.secret_key (and upstream.user_id)", what)
	case e.Code == 400 && strings.Contains(msg, "header"):
		return fmt.Sprintf("upstream rejected the request headers (%s): check upstream.access_key and upstream.user_id", what)
	case e.Code == 400:
		return fmt.Sprintf("upstream rejected the request parameters (%s): check the parameters of the %s job's queries", what, e.Kind)
	case e.Code == 404:
		return fmt.Sprintf("upstream does not know %s (%s): %s", e.Path, what, pathHint(e.Kind))
	}
	return fmt.Sprintf("upstream refused the %s request (%s)", e.Kind, what)
}

// HTTPError is a response with a status other than 2xx. Body holds its first 200 bytes,
// with control characters removed; Kind and Path name the request.
type HTTPError struct {
	Status int
	Body   string
	Kind   Kind
	Path   string
}

// Error describes the status and the configuration to check.
func (e *HTTPError) Error() string {
	what := fmt.Sprintf("HTTP %d", e.Status)
	if e.Body != "" {
		what += ": " + e.Body
	}
	switch {
	case e.Status == 429:
		return fmt.Sprintf("upstream is over quota (%s): lower upstream.qps if this persists", what)
	case e.Status >= 500:
		return fmt.Sprintf("upstream failed (%s)", what)
	case e.Status == 401 || e.Status == 403:
		return fmt.Sprintf("upstream refused access (%s): check upstream.access_key, upstream.secret_key and upstream.user_id", what)
	case e.Status == 404:
		return fmt.Sprintf("upstream does not know %s (%s): %s", e.Path, what, pathHint(e.Kind))
	case e.Status == 400:
		return fmt.Sprintf("upstream rejected the request (%s): check the parameters of the %s job's queries", what, e.Kind)
	case e.Status >= 300 && e.Status < 400:
		return fmt.Sprintf("upstream redirected the request (%s): check upstream.base_url (scheme, host and prefix)", what)
	}
	return fmt.Sprintf("upstream refused the %s request (%s)", e.Kind, what)
}

// pathHint says which setting decides the path of kind k, and whether the default is an
// assumption (DESIGN §4).
func pathHint(k Kind) string {
	ep, ok := Lookup(k)
	if ok && !ep.Documented {
		return fmt.Sprintf("the %s path is assumed, not documented; set upstream.paths.%s in the config", k, k)
	}
	return fmt.Sprintf("check upstream.base_url and upstream.paths.%s in the config", k)
}

func mentionsTimestamp(msg string) bool {
	return strings.Contains(msg, "timestamp") || strings.Contains(msg, "expired") ||
		strings.Contains(msg, "时间") || strings.Contains(msg, "过期")
}

func mentionsSignature(msg string) bool {
	return strings.Contains(msg, "sign") || strings.Contains(msg, "签名")
}

// transientError marks a failure that retrying may cure: network errors, timeouts, truncated
// or non-JSON bodies. Reason is the class reported to Hooks.Retry.
type transientError struct {
	reason string
	err    error
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// IsPermanent reports whether err is a failure that retrying later cannot cure: a rejected
// signature, bad parameters, an unknown code or path, an oversized or unreadable answer, an
// invalid request. Network errors, timeouts, truncated bodies, HTTP 429 and 5xx and retryable
// codes are not permanent, nor are context errors. IsPermanent(nil) is false.
func IsPermanent(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	_, transient := classify(err)
	return !transient
}

// classify returns the retry reason of err and whether it is transient.
func classify(err error) (reason string, transient bool) {
	var ae *APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("code_%d", ae.Code), ae.Retryable
	}
	var he *HTTPError
	if errors.As(err, &he) {
		switch {
		case he.Status == 429:
			return "http_429", true
		case he.Status >= 500:
			return "http_5xx", true
		}
		return fmt.Sprintf("http_%d", he.Status), false
	}
	var te *transientError
	if errors.As(err, &te) {
		return te.reason, true
	}
	return "permanent", false
}

// transportError classifies an error of the HTTP exchange: certificate and TLS set-up
// problems are permanent (they need a config change), everything else is a network error.
// timedOut reports whether the attempt's own timeout expired.
func transportError(err error, timedOut bool) error {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		record           tls.RecordHeaderError
	)
	switch {
	case timedOut:
		return &transientError{reason: "timeout", err: err}
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return fmt.Errorf("verify the upstream certificate: %w: check upstream.base_url", err)
	case errors.As(err, &record):
		return fmt.Errorf("speak TLS to upstream: %w: check the scheme of upstream.base_url", err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &transientError{reason: "timeout", err: err}
	}
	return &transientError{reason: "network", err: err}
}

// snippetLen bounds the upstream text kept in errors.
const snippetLen = 200

// sanitize makes upstream text safe to put in an error or a log line: valid UTF-8, no control
// characters, at most snippetLen bytes, and never the secret key (a broken proxy could echo
// anything).
// The caller bounds the length of s.
func sanitize(s, secret string) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > snippetLen {
		cut := snippetLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
