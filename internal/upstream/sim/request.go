package sim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/syncd/syncd/internal/upstream"
)

// Defaults for paging fields a request leaves out (the image search page marks them
// nullable).
const (
	defaultPage     = 1
	defaultPageSize = 20
)

// apiError is a refused request: the envelope code, the Rejected reason, and a message that
// names the field at fault.
type apiError struct {
	code   int
	reason string
	msg    string
}

func badParam(format string, args ...any) *apiError {
	return &apiError{code: CodeBadRequest, reason: "params", msg: fmt.Sprintf(format, args...)}
}

// apiRequest is a decoded request body.
type apiRequest struct {
	kind       upstream.Kind
	page, size int // listing endpoints only
	values     map[upstream.Param]string
	base64     string // imageBase64, image search only
}

func (r *apiRequest) get(p upstream.Param) string { return r.values[p] }

// decodeBody reads a request body for route rt. Paging and language fields come
// from the first kind's endpoint row (kinds sharing a path share them); the kind is the
// first whose required parameters are all set.
func decodeBody(body []byte, rt *route) (*apiRequest, *apiError) {
	kinds := rt.kinds
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		msg := "body: must be a JSON object"
		if err != nil {
			msg = "body: malformed JSON: " + err.Error()
		}
		return nil, badParam("%s", msg)
	}
	ep, _ := upstream.Lookup(kinds[0])
	req := &apiRequest{values: map[upstream.Param]string{}}
	if ep.Paged {
		var err *apiError
		if req.page, err = intField(m, ep.PageField, defaultPage); err != nil {
			return nil, err
		}
		if req.page < 1 {
			return nil, badParam("%s: must be 1 or more, got %d", ep.PageField, req.page)
		}
		if req.size, err = intField(m, ep.SizeField, defaultPageSize); err != nil {
			return nil, err
		}
		if req.size < 1 || req.size > MaxPageSize {
			return nil, badParam("%s: must be between 1 and %d, got %d", ep.SizeField, MaxPageSize, req.size)
		}
	}
	if ep.LangField != "" {
		if _, err := stringField(m, ep.LangField, false); err != nil {
			return nil, err
		}
	}
	for _, p := range rt.params {
		v, err := stringField(m, string(p), p == upstream.ParamCategoryID || p == upstream.ParamOfferID)
		if err != nil {
			return nil, err
		}
		if v = strings.TrimSpace(v); v != "" {
			req.values[p] = v
		}
	}
	if slices.Contains(kinds, upstream.KindImage) {
		v, err := stringField(m, "imageBase64", false)
		if err != nil {
			return nil, err
		}
		req.base64 = v
	}
	var missing []string
	for _, k := range kinds {
		e, _ := upstream.Lookup(k)
		miss := missingParams(e, req)
		if len(miss) == 0 {
			req.kind = k
			return req, nil
		}
		missing = append(missing, miss...)
	}
	if len(missing) == 1 {
		return nil, badParam("%s: required", missing[0])
	}
	return nil, badParam("%s: one of these is required", strings.Join(missing, " or "))
}

// missingParams lists the required parameters of e that req leaves unset.
func missingParams(e upstream.Endpoint, req *apiRequest) []string {
	var miss []string
	set := 0
	for _, p := range e.Required {
		// imageBase64 stands in for imageAddress (API.md §2.3 marks it required).
		if req.values[p] != "" || (p == upstream.ParamImageAddress && req.base64 != "") {
			set++
		} else {
			miss = append(miss, string(p))
		}
	}
	if e.RequireAny && set > 0 {
		return nil
	}
	return miss
}

// pathParams is the union of the parameters of kinds, in table order.
func pathParams(kinds []upstream.Kind) []upstream.Param {
	var out []upstream.Param
	seen := map[upstream.Param]bool{}
	for _, k := range kinds {
		e, _ := upstream.Lookup(k)
		for _, p := range e.Params {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// intField reads an integer field; absent or null gives def.
func intField(m map[string]json.RawMessage, name string, def int) (int, *apiError) {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return def, nil
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, badParam("%s: must be an integer, got %s", name, truncate(string(raw), 40))
	}
	return n, nil
}

// stringField reads a string field; absent or null gives "". With numeric set, an integer
// is accepted too and returned as its decimal text (categoryId and offerId are integers on
// some endpoints, API.md §1.8).
func stringField(m map[string]json.RawMessage, name string, numeric bool) (string, *apiError) {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	if numeric {
		if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return strconv.FormatInt(n, 10), nil
		}
		return "", badParam("%s: must be a string or an integer, got %s", name, truncate(string(raw), 40))
	}
	return "", badParam("%s: must be a string, got %s", name, truncate(string(raw), 40))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// pageKey names a successful answer in Stats.Pages: path, the parameters set (in table
// order), and paging.
func pageKey(rt *route, req *apiRequest) string {
	var b strings.Builder
	b.WriteString(rt.path)
	sep := byte('?')
	for _, p := range rt.params {
		if v := req.values[p]; v != "" {
			b.WriteByte(sep)
			b.WriteString(string(p))
			b.WriteByte('=')
			b.WriteString(v)
			sep = '&'
		}
	}
	if req.base64 != "" {
		fmt.Fprintf(&b, "%cimageBase64=%x", sep, hashString(req.base64))
		sep = '&'
	}
	if req.size > 0 {
		fmt.Fprintf(&b, "%cpage=%d&pageSize=%d", sep, req.page, req.size)
	}
	return b.String()
}
