package meili

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/meilisearch/meilisearch-go"
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

// sdkNoMessage is what meilisearch-go puts in Error.APIError.Message when the answer carried
// no Meilisearch error object.
const sdkNoMessage = "empty meilisearch message"

// check turns an error of a meilisearch-go call into syncd's: an answer with an unexpected
// status is an *APIError (behind "refused the API key" or "requires an API key" for 401 and
// 403), no answer at all is "meilisearch at <url> is unreachable", and the context's error
// stays in the chain. The SDK's own message is never shown: it repeats the response body,
// and says nothing about which server or what to fix. Errors that are not the SDK's (an
// answer over maxResponseBytes, worded by the transport) pass through. check(ctx, nil) is nil.
func (cl *client) check(ctx context.Context, err error) error {
	var me *meilisearch.Error
	if err == nil || !errors.As(err, &me) {
		return err
	}
	method := me.Method
	path, _, _ := strings.Cut(me.Endpoint, "?") // the query is noise in messages
	switch me.ErrCode {
	case meilisearch.APIError, meilisearch.APIErrorWithoutMessage:
		msg := me.APIError.Message
		if msg == sdkNoMessage {
			msg = ""
		}
		return cl.apiError(method, path, me.StatusCode, string(me.APIError.Code), me.APIError.Type, msg, me.APIError.Link)
	case meilisearch.CommunicationError, meilisearch.TimeoutError:
		return cl.noAnswer(ctx, method, path, me.OriginError)
	case meilisearch.ErrCodeResponseUnmarshalBody:
		return fmt.Errorf("decode meilisearch answer to %s %s: %w", method, path, me.OriginError)
	case meilisearch.ErrCodeMarshalRequest:
		return fmt.Errorf("encode %s %s: %w", method, path, me.OriginError)
	}
	return fmt.Errorf("meilisearch %s %s: %w", method, path, err)
}

// apiError makes an *APIError of an answer with an unexpected status, and says plainly
// when the API key was missing or refused.
func (cl *client) apiError(method, path string, status int, code, typ, msg, link string) error {
	ae := &APIError{Method: method, Path: path, StatusCode: status,
		Code: code, Type: typ, Message: cl.scrub(msg), Link: link}
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		return ae
	}
	if cl.key == "" || ae.Code == "missing_authorization_header" {
		return fmt.Errorf("meilisearch at %s requires an API key (set index.meilisearch.api_key): %w", cl.where, ae)
	}
	return fmt.Errorf("meilisearch at %s refused the API key (check index.meilisearch.api_key): %w", cl.where, ae)
}

// noAnswer explains a request that got no HTTP answer: the caller's context ended, the
// server did not answer in time, or it could not be reached. err comes from http.Client.Do;
// its *url.Error is dropped because it repeats the URL, password included.
func (cl *client) noAnswer(ctx context.Context, method, path string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("meilisearch %s %s: %w", method, path, ctxErr)
	}
	if err == nil {
		err = errors.New("no answer")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
		if ue.Timeout() {
			return fmt.Errorf("meilisearch at %s did not answer %s %s in time: %w", cl.where, method, path, err)
		}
	}
	return &unreachableError{where: cl.where, err: err}
}

// scrub removes the API key from text the server sent back. Meilisearch does not echo keys,
// but a proxy in front of it might, and secrets never appear in errors (DESIGN §3 rule 8).
func (cl *client) scrub(s string) string {
	if len(cl.key) < 4 {
		return s
	}
	return strings.ReplaceAll(s, cl.key, "[api key]")
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
