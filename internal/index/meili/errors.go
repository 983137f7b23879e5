package meili

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrTaskTimeout is wrapped by the error of a call that waited longer than its deadline
// (Options.TaskTimeout, or Options.SettingsTimeout for settings) for a Meilisearch task to
// finish. The task stays queued and may still succeed later; every write syncd makes is
// idempotent, so the caller simply retries.
var ErrTaskTimeout = errors.New("meilisearch task did not finish in time")

// APIError is an answer of the Meilisearch REST API with an unexpected HTTP status,
// carrying Meilisearch's error object (https://www.meilisearch.com/docs/reference/errors).
// Refused API keys and unreachable servers are reported with messages that name the server
// URL; an *APIError is still in the chain for the former.
type APIError struct {
	Method     string // HTTP method of the request
	Path       string // request path below the server URL, e.g. "/indexes/offers/search"
	StatusCode int
	Code       string // e.g. "invalid_api_key", "index_not_found", "invalid_search_filter"
	Type       string // "invalid_request", "auth", "internal" or "system"
	Message    string
	Link       string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Code == "" {
		return fmt.Sprintf("meilisearch %s %s: status %d: %s", e.Method, e.Path, e.StatusCode, msg)
	}
	return fmt.Sprintf("meilisearch %s %s: status %d (%s): %s", e.Method, e.Path, e.StatusCode, e.Code, msg)
}

// TaskError is a Meilisearch task that ended without succeeding: Status is "failed" (Code and
// Message say why, as Meilisearch reported them) or "canceled".
type TaskError struct {
	UID      int64
	Type     string // e.g. "documentAdditionOrUpdate", "settingsUpdate", "indexSwap"
	IndexUID string // empty for tasks not bound to one index (indexSwap)
	Status   string
	Code     string
	ErrType  string
	Message  string
	Link     string
}

func (e *TaskError) Error() string {
	if e.Status != "failed" {
		return fmt.Sprintf("meilisearch task %s was %s", describeTask(e.UID, e.Type, e.IndexUID), e.Status)
	}
	return fmt.Sprintf("meilisearch task %s failed: %s (%s)", describeTask(e.UID, e.Type, e.IndexUID), e.Message, e.Code)
}

// describeTask renders a task for messages: `17 (documentAdditionOrUpdate on "offers")`.
func describeTask(uid int64, typ, indexUID string) string {
	if indexUID == "" {
		return fmt.Sprintf("%d (%s)", uid, typ)
	}
	return fmt.Sprintf("%d (%s on %q)", uid, typ, indexUID)
}

// unreachableError is a request that got no HTTP answer at all.
type unreachableError struct {
	where string
	err   error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("meilisearch at %s is unreachable: %v", e.where, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }

// transient reports whether err may go away by itself (no answer, or a 5xx answer), so a
// read-only call such as polling a task may be repeated.
func transient(err error) bool {
	var ue *unreachableError
	if errors.As(err, &ue) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode >= 500
}

// hasCode reports whether err is an *APIError with the Meilisearch error code.
func hasCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}
