package upstream

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxPageSize is the largest page size FetchPage sends (DESIGN §4 assumes 50).
const MaxPageSize = 50

// ValidatePage reports whether req can be sent: a known listing kind, the parameters that
// kind requires, a valid hot-list ranking and numeric categoryId where the endpoint wants an
// integer, page >= 1 and 1 <= pageSize <= MaxPageSize. Errors wrap ErrInvalidRequest.
func ValidatePage(req PageRequest) error {
	ep, ok := Lookup(req.Query.Kind)
	if !ok {
		return fmt.Errorf("%w: unknown kind %q", ErrInvalidRequest, req.Query.Kind)
	}
	if !ep.Paged {
		return fmt.Errorf("%w: kind %s is not a listing", ErrInvalidRequest, ep.Kind)
	}
	if req.Page < 1 {
		return fmt.Errorf("%w: %s page %d: pages start at 1", ErrInvalidRequest, ep.Kind, req.Page)
	}
	if req.PageSize < 1 || req.PageSize > MaxPageSize {
		return fmt.Errorf("%w: %s page size %d: want 1..%d", ErrInvalidRequest, ep.Kind, req.PageSize, MaxPageSize)
	}
	return validateQuery(ep, req.Query)
}

// validateQuery checks the parameters of q against ep.
func validateQuery(ep Endpoint, q Query) error {
	missing := 0
	for _, p := range ep.Required {
		if q.Value(p) == "" {
			missing++
			if !ep.RequireAny {
				return fmt.Errorf("%w: a %s query needs %s", ErrInvalidRequest, ep.Kind, p)
			}
		}
	}
	if ep.RequireAny && len(ep.Required) > 0 && missing == len(ep.Required) {
		return fmt.Errorf("%w: a %s query needs one of %v", ErrInvalidRequest, ep.Kind, ep.Required)
	}
	if ep.Takes(ParamRankType) && q.RankType != "" && !slices.Contains(RankTypes, q.RankType) {
		return fmt.Errorf("%w: rankType %q: want one of %v", ErrInvalidRequest, q.RankType, RankTypes)
	}
	if ep.IntCategory && q.CategoryID != "" {
		if _, err := strconv.ParseUint(q.CategoryID, 10, 63); err != nil {
			return fmt.Errorf("%w: categoryId %q: a %s query sends it as an integer", ErrInvalidRequest, q.CategoryID, ep.Kind)
		}
	}
	return nil
}

// appendBody appends the JSON body of a request to dst: the paging fields when the endpoint
// is paged (page > 0), the language, then each parameter the endpoint takes that q sets, in
// table order. Values must have been validated.
func appendBody(dst []byte, ep Endpoint, lang string, q Query, page, size int) []byte {
	dst = append(dst, '{')
	sep := func() {
		if len(dst) > 1 {
			dst = append(dst, ',')
		}
	}
	if ep.Paged {
		dst = appendJSONString(dst, ep.PageField)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(page), 10)
		dst = append(dst, ',')
		dst = appendJSONString(dst, ep.SizeField)
		dst = append(dst, ':')
		dst = strconv.AppendInt(dst, int64(size), 10)
	}
	if ep.LangField != "" && lang != "" {
		sep()
		dst = appendJSONString(dst, ep.LangField)
		dst = append(dst, ':')
		dst = appendJSONString(dst, lang)
	}
	for _, p := range ep.Params {
		v := q.Value(p)
		if v == "" {
			continue
		}
		sep()
		dst = appendJSONString(dst, string(p))
		dst = append(dst, ':')
		if p == ParamCategoryID && ep.IntCategory {
			dst = append(dst, v...)
		} else {
			dst = appendJSONString(dst, v)
		}
	}
	return append(dst, '}')
}

// appendJSONString appends s as a JSON string. Plain text is copied as is; anything that
// needs escaping goes through encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	plain := utf8.ValidString(s)
	for i := 0; plain && i < len(s); i++ {
		c := s[i]
		plain = c >= 0x20 && c != '"' && c != '\\' && c != 0x7f
	}
	if plain {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}
