package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
)

func TestAPIError_Messages(t *testing.T) {
	tests := []struct {
		err  APIError
		want []string
	}{
		{APIError{Code: 401, Msg: "签名错误", RequestID: "r1", Kind: KindKeyword},
			[]string{"rejected the signature", "code 401: 签名错误", "request id r1", "upstream.access_key", "upstream.secret_key"}},
		{APIError{Code: 1001, Msg: "invalid sign", Kind: KindKeyword}, []string{"rejected the signature", "upstream.secret_key"}},
		{APIError{Code: 403, Msg: "forbidden", Kind: KindKeyword}, []string{"rejected the signature", "code 403"}},
		{APIError{Code: 403, Msg: "timestamp expired", Kind: KindKeyword}, []string{"timestamp", "system clock"}},
		{APIError{Code: 1002, Msg: "请求时间戳过期", Kind: KindKeyword}, []string{"system clock"}},
		{APIError{Code: 401, Msg: "signature mismatch: expected MD5(access-key + timestamp + nonce-str + secret)", Kind: KindKeyword},
			[]string{"rejected the signature", "upstream.secret_key"}},
		{APIError{Code: 400, Msg: "bad keyword", Kind: KindShop}, []string{"parameters", "shop job"}},
		{APIError{Code: 400, Msg: "missing header user-id", Kind: KindShop}, []string{"headers", "upstream.user_id"}},
		{APIError{Code: 404, Msg: "no route", Kind: KindRecommend, Path: "/v2/alibaba/product/recommend/query"},
			[]string{"/v2/alibaba/product/recommend/query", "assumed", "upstream.paths.recommend"}},
		{APIError{Code: 404, Msg: "no route", Kind: KindKeyword, Path: "/x"}, []string{"upstream.base_url", "upstream.paths.keyword"}},
		{APIError{Code: 429, Msg: "busy", Kind: KindKeyword, Retryable: true}, []string{"retry later", "upstream.qps"}},
		{APIError{Code: 500, Msg: "系统错误", Kind: KindHotlist}, []string{"hotlist", "code 500: 系统错误"}},
	}
	for _, tt := range tests {
		got := tt.err.Error()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: message %q lacks %q", tt.err, got, w)
			}
		}
		if got != strings.ToLower(got[:1])+got[1:] {
			t.Errorf("message %q is not lower-case", got)
		}
	}
}

func TestHTTPError_Messages(t *testing.T) {
	tests := []struct {
		err  HTTPError
		want string
	}{
		{HTTPError{Status: 401, Kind: KindKeyword}, "upstream.secret_key"},
		{HTTPError{Status: 404, Kind: KindStrict, Path: "/p"}, "upstream.paths.strict"},
		{HTTPError{Status: 502, Body: "<html>bad gateway</html>"}, "HTTP 502: <html>bad gateway</html>"},
		{HTTPError{Status: 301}, "upstream.base_url"},
		{HTTPError{Status: 429}, "over quota"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); !strings.Contains(got, tt.want) {
			t.Errorf("%+v: message %q lacks %q", tt.err, got, tt.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestIsPermanent(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("fetch keyword page 1: %w", err) }
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"nil", nil, false},
		{"canceled", context.Canceled, false},
		{"deadline", wrap(context.DeadlineExceeded), false},
		{"retry code", wrap(&APIError{Code: 429, Retryable: true}), false},
		{"signature", wrap(&APIError{Code: 401}), true},
		{"unknown code", wrap(&APIError{Code: 7}), true},
		{"http 429", wrap(&HTTPError{Status: 429}), false},
		{"http 500", wrap(&HTTPError{Status: 500}), false},
		{"http 503", wrap(&HTTPError{Status: 503}), false},
		{"http 400", wrap(&HTTPError{Status: 400}), true},
		{"http 404", wrap(&HTTPError{Status: 404}), true},
		{"reset", wrap(transportError(&net.OpError{Op: "read", Err: syscall.ECONNRESET}, false)), false},
		{"eof", wrap(transportError(io.EOF, false)), false},
		{"net timeout", wrap(transportError(timeoutErr{}, false)), false},
		{"truncated body", wrap(bodyError(io.ErrUnexpectedEOF)), false},
		{"too large", wrap(ErrBodyTooLarge), true},
		{"shape", wrap(ErrUnexpectedShape), true},
		{"invalid request", wrap(ErrInvalidRequest), true},
		{"anything else", errors.New("boom"), true},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.permanent {
			t.Errorf("%s: IsPermanent(%v) = %v, want %v", tt.name, tt.err, got, tt.permanent)
		}
	}
}

func TestClassify_Reasons(t *testing.T) {
	for err, want := range map[error]string{
		transportError(timeoutErr{}, false):                                        "timeout",
		transportError(errors.New("context deadline exceeded"), true):              "timeout",
		transportError(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, false): "network",
		bodyError(io.ErrUnexpectedEOF):                                             "body",
		&HTTPError{Status: 502}:                                                    "http_5xx",
		&HTTPError{Status: 429}:                                                    "http_429",
		&APIError{Code: 429, Retryable: true}:                                      "code_429",
	} {
		if got, _ := classify(err); got != want {
			t.Errorf("classify(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestSanitize(t *testing.T) {
	long := strings.Repeat("界", 100) // 300 bytes
	got := sanitize(long, "")
	if len(got) > snippetLen+len("…") || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "界界") {
		t.Errorf("sanitize cut %d bytes to %q", len(long), got)
	}
	if got := sanitize("a\nb\x00c\xffd", ""); got != "a b c\uFFFDd" {
		t.Errorf("sanitize = %q", got)
	}
	if got := sanitize("echo: key=s3cr3t-value;", "s3cr3t-value"); strings.Contains(got, "s3cr3t") {
		t.Errorf("sanitize kept the secret: %q", got)
	}
}
