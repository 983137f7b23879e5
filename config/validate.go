package config

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/syncd/syncd/internal/upstream"
)

// validator checks a decoded Config, recording problems in the decoder so that they share
// its paths, lines and one-error-per-path rule.
type validator struct{ d *decoder }

// errf records a problem at path. When the value at path used variables that were unset,
// the message says so: an empty keyword is far easier to fix once one knows it came from
// an unset ${KW}.
func (v validator) errf(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if vars := v.d.unset[path]; len(vars) > 0 {
		msg += " (" + unsetMsg(vars) + ")"
	}
	v.d.fail(path, v.d.lineOf(path), "%s", msg)
}

func unsetMsg(vars []string) string {
	refs := make([]string, len(vars))
	for i, name := range vars {
		refs[i] = "${" + name + "}"
	}
	if len(refs) == 1 {
		return refs[0] + " is not set"
	}
	return strings.Join(refs, ", ") + " are not set"
}

// required checks that a required field is set and used no unset variable, and reports
// which. It returns whether the value is usable for further checks.
func (v validator) required(path, value string) bool {
	if vars := v.d.unset[path]; len(vars) > 0 {
		v.d.fail(path, v.d.lineOf(path), "%s", unsetMsg(vars))
		return false
	}
	if strings.TrimSpace(value) == "" {
		v.d.fail(path, v.d.lineOf(path), "required")
		return false
	}
	return true
}

func validate(c *Config, d *decoder) {
	v := validator{d}
	v.upstream(&c.Upstream)
	if strings.TrimSpace(c.StateDir) == "" {
		v.errf("state_dir", "must not be empty")
	}
	v.index(&c.Index)
	if err := checkListen(c.HTTP.Listen); err != nil {
		v.errf("http.listen", "%v", err)
	}
	if strings.ContainsAny(c.HTTP.Token, " \t\r\n") {
		v.errf("http.token", "must not contain whitespace")
	}
	names := map[string]int{}
	for i := range c.Jobs {
		v.job(i, &c.Jobs[i], names)
	}
}

func (v validator) upstream(u *Upstream) {
	if v.required("upstream.base_url", u.BaseURL) {
		if err := checkHTTPURL(u.BaseURL); err != nil {
			v.errf("upstream.base_url", "%v", err)
		} else if strings.ContainsAny(u.BaseURL, "?#") {
			v.errf("upstream.base_url", "want a URL without query or fragment (endpoint paths are appended to it), got %q", u.BaseURL)
		}
	}
	// The credentials go into signed headers; whitespace there (a stray newline from a
	// secrets file) fails every request with a signature error far from its cause. The
	// messages never quote the values.
	for _, f := range []struct{ path, value string }{
		{"upstream.access_key", u.AccessKey},
		{"upstream.secret_key", u.SecretKey},
		{"upstream.user_id", u.UserID},
	} {
		if v.required(f.path, f.value) && strings.ContainsAny(f.value, " \t\r\n") {
			v.errf(f.path, "must not contain whitespace")
		}
	}
	if strings.TrimSpace(u.Language) == "" {
		v.errf("upstream.language", "must not be empty")
	}
	if !(u.QPS > 0) || math.IsInf(u.QPS, 0) {
		v.errf("upstream.qps", "must be a number > 0, got %v", u.QPS)
	}
	if u.Burst < 1 {
		v.errf("upstream.burst", "must be >= 1, got %d", u.Burst)
	}
	if u.Concurrency < 0 || u.Concurrency > 128 {
		v.errf("upstream.concurrency", "must be between 1 and 128, or 0 for automatic, got %d", u.Concurrency)
	}
	if u.Timeout <= 0 {
		v.errf("upstream.timeout", "must be > 0, got %s", u.Timeout)
	}
	if u.MaxAttempts < 1 || u.MaxAttempts > 20 {
		v.errf("upstream.max_attempts", "must be between 1 and 20, got %d", u.MaxAttempts)
	}
	for i, code := range u.RetryCodes {
		if code == upstream.CodeOK {
			v.errf(fmt.Sprintf("upstream.retry_codes[%d]", i), "%d is the success code", code)
		}
	}
	kinds := make([]string, 0, len(u.Paths))
	for k := range u.Paths {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		path := "upstream.paths." + k
		if _, ok := upstream.Lookup(upstream.Kind(k)); !ok {
			v.errf(path, "unknown kind %q; one of: %s", k, kindList(upstream.Kinds()))
			continue
		}
		p := u.Paths[upstream.Kind(k)]
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \t\r\n?#") {
			v.errf(path, "want a path starting with \"/\" (no query or spaces), got %q", p)
		}
	}
}

var meiliUIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (v validator) index(ix *Index) {
	switch ix.Backend {
	case BackendBleve:
	case BackendMeilisearch:
		m := ix.Meilisearch
		if v.required("index.meilisearch.url", m.URL) {
			if err := checkHTTPURL(m.URL); err != nil {
				v.errf("index.meilisearch.url", "%v", err)
			}
		}
		if !meiliUIDRE.MatchString(m.Index) {
			v.errf("index.meilisearch.index", "want an index uid of [A-Za-z0-9_-]+, got %q", m.Index)
		}
	default:
		v.errf("index.backend", "want %q or %q, got %q", BackendBleve, BackendMeilisearch, ix.Backend)
	}
}

var (
	jobNameRE = regexp.MustCompile(`^[a-z0-9-]+$`)
	digitsRE  = regexp.MustCompile(`^[0-9]+$`)
	decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
)

// job checks jobs[i]; names maps the job names seen so far to their index.
func (v validator) job(i int, j *Job, names map[string]int) {
	p := fmt.Sprintf("jobs[%d]", i)
	switch first, dup := names[j.Name]; {
	case j.Name == "":
		v.errf(p+".name", "required")
	case !jobNameRE.MatchString(j.Name):
		v.errf(p+".name", "want [a-z0-9-]+, got %q", j.Name)
	case j.Name[0] == '-':
		// `syncd backfill -tees` would read the name as a flag.
		v.errf(p+".name", "must not start with \"-\" (commands would read it as a flag), got %q", j.Name)
	case dup:
		v.errf(p+".name", "duplicate job name %q (first at jobs[%d])", j.Name, first)
	default:
		names[j.Name] = i
	}
	if j.Schedule != "" {
		if err := checkSchedule(j.Schedule); err != nil {
			v.errf(p+".schedule", "%v", err)
		}
	}
	if j.PageSize < 1 || j.PageSize > 50 {
		v.errf(p+".page_size", "must be between 1 and 50, got %d", j.PageSize)
	}
	if j.MaxPages < 0 {
		v.errf(p+".max_pages", "must be >= 0 (0: no limit), got %d", j.MaxPages)
	}

	e, ok := upstream.Lookup(j.Kind)
	switch {
	case j.Kind == "":
		v.errf(p+".kind", "required; one of: %s", kindList(upstream.ListingKinds()))
		return
	case !ok || !e.Paged:
		v.errf(p+".kind", "unknown job kind %q; one of: %s", j.Kind, kindList(upstream.ListingKinds()))
		return
	}
	for _, l := range queryLists {
		lp := p + "." + l.key
		vals := l.get(j)
		switch {
		case len(vals) > 0 && !accepts(e, l):
			v.errf(lp, "not used by kind %s", j.Kind)
		case len(vals) == 0 && requires(e, l):
			v.errf(lp, "required by kind %s", j.Kind)
		default:
			v.queryValues(lp, l.param, vals)
		}
	}
	v.jobFilters(p, j, e)
}

// queryValues checks the values of one query list: well-formed and no repeats (a repeat
// would spend the quota twice for the same pages).
func (v validator) queryValues(path string, param upstream.Param, vals []string) {
	first := map[string]int{}
	for i, s := range vals {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if k, dup := first[s]; dup {
			v.errf(ip, "repeats %s[%d]", path[strings.LastIndexByte(path, '.')+1:], k)
			continue
		}
		first[s] = i
		switch {
		case strings.TrimSpace(s) == "":
			v.errf(ip, "must not be empty")
		case param == upstream.ParamCategoryID && !digitsRE.MatchString(s):
			v.errf(ip, "want a numeric category id, got %q", s)
		case param == upstream.ParamOfferID && !digitsRE.MatchString(s):
			v.errf(ip, "want a numeric offer id, got %q", s)
		case param == upstream.ParamRankType && !slices.Contains(upstream.RankTypes, s):
			v.errf(ip, "unknown rank type %q; one of: %s", s, strings.Join(upstream.RankTypes, ", "))
		case param == upstream.ParamImageAddress:
			if err := checkHTTPURL(s); err != nil {
				v.errf(ip, "%v", err)
			}
		}
	}
}

// jobFilters checks price range, sort and filter, which only some kinds take.
func (v validator) jobFilters(p string, j *Job, e upstream.Endpoint) {
	for _, f := range []struct {
		key, value string
		param      upstream.Param
	}{
		{"price_start", j.PriceStart, upstream.ParamPriceStart},
		{"price_end", j.PriceEnd, upstream.ParamPriceEnd},
		{"sort", j.Sort, upstream.ParamSort},
		{"filter", j.Filter, upstream.ParamFilter},
	} {
		if f.value != "" && !e.Takes(f.param) {
			v.errf(p+"."+f.key, "not used by kind %s", j.Kind)
		}
	}
	start, startOK := v.price(p+".price_start", j.PriceStart)
	end, endOK := v.price(p+".price_end", j.PriceEnd)
	if startOK && endOK && start > end {
		v.errf(p+".price_end", "%s is below price_start %s", j.PriceEnd, j.PriceStart)
	}
	if j.Sort != "" {
		if err := checkSort(j.Sort); err != nil {
			v.errf(p+".sort", "%v", err)
		}
	}
}

// price parses a price bound; ok is false when it is unset or invalid (invalid is reported).
func (v validator) price(path, s string) (f float64, ok bool) {
	if s == "" {
		return 0, false
	}
	if !decimalRE.MatchString(s) {
		v.errf(path, "want a decimal price such as \"5\" or \"12.50\", got %q", s)
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		v.errf(path, "want a decimal price such as \"5\" or \"12.50\", got %q", s)
		return 0, false
	}
	return f, true
}

// checkSort accepts a JSON object of field: "asc"|"desc" with at least one field.
func checkSort(s string) error {
	const want = `want a JSON object of field: "asc"|"desc", such as '{"monthSold":"desc"}'`
	dec := json.NewDecoder(strings.NewReader(s))
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil || m == nil {
		return fmt.Errorf("%s, got %q", want, s)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%s, got %q (trailing text)", want, s)
	}
	if len(m) == 0 {
		return fmt.Errorf("%s, got an empty object", want)
	}
	fields := make([]string, 0, len(m))
	for f := range m {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		var dir string
		if f == "" || json.Unmarshal(m[f], &dir) != nil || (dir != "asc" && dir != "desc") {
			return fmt.Errorf("%s, got %q for %q", want, string(m[f]), f)
		}
	}
	return nil
}

// checkSchedule parses a cron spec as the scheduler will, and rejects specs that never
// fire (such as "0 0 30 2 *").
func checkSchedule(spec string) (err error) {
	defer func() {
		// robfig/cron v3.0.1 panics on some malformed specs ("TZ=UTC" with nothing after).
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid cron spec %q", spec)
		}
	}()
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("invalid cron spec %q: %w", spec, err)
	}
	if s.Next(time.Now()).IsZero() {
		return fmt.Errorf("cron spec %q never fires", spec)
	}
	return nil
}

// checkHTTPURL accepts an absolute http or https URL with a host.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("want an http(s) URL, got %q", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("want an http(s) URL, got %q (scheme %q)", s, u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("want an http(s) URL with a host, got %q", s)
	}
	return nil
}

// checkListen accepts host:port with a numeric port; the host may be empty (all
// interfaces).
func checkListen(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port such as 127.0.0.1:8790, got %q", s)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port != strconv.FormatUint(n, 10) {
		return fmt.Errorf("want host:port with a port 0..65535, got %q", s)
	}
	return nil
}

func kindList(ks []upstream.Kind) string {
	ss := make([]string, len(ks))
	for i, k := range ks {
		ss[i] = string(k)
	}
	return strings.Join(ss, ", ")
}
