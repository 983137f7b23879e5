package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/upstream"
)

// testOffers is the catalog size of most tests: big enough for the 2,000 cap to bite on
// broad queries, small enough to build in milliseconds.
const testOffers = 20_000

// harness is a simulator behind a real HTTP server and a minimal signed client, written
// here from upstream.Sign so the simulator is tested independently of the real client.
type harness struct {
	t      *testing.T
	sim    *Server
	srv    *httptest.Server
	client *http.Client
	key    string
	secret string
	now    func() time.Time
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	if opts.Offers == 0 {
		opts.Offers = testOffers
	}
	s := New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &harness{t: t, sim: s, srv: srv, client: srv.Client(),
		key: s.opts.AccessKey, secret: s.opts.SecretKey, now: time.Now}
}

// on returns the harness reporting to t (a subtest).
func (h *harness) on(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

// request builds a signed POST of body (marshalled unless it is []byte) to path.
func (h *harness) request(path string, body any) *http.Request {
	h.t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			h.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	ts := strconv.FormatInt(h.now().UnixMilli(), 10)
	nonce := upstream.NewNonce()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(upstream.HeaderAccessKey, h.key)
	req.Header.Set(upstream.HeaderTimestamp, ts)
	req.Header.Set(upstream.HeaderNonce, nonce)
	req.Header.Set(upstream.HeaderUserID, "2100007341207")
	req.Header.Set(upstream.HeaderSignature, upstream.Sign(h.key, ts, nonce, h.secret))
	return req
}

// do sends req and returns the status and body; transport errors fail the test.
func (h *harness) do(req *http.Request) (int, []byte) {
	h.t.Helper()
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s: %v", req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s: read body: %v", req.URL.Path, err)
	}
	return resp.StatusCode, b
}

// envelope posts body to path and decodes the envelope of an HTTP 200 answer.
func (h *harness) envelope(path string, body any) upstream.Envelope {
	h.t.Helper()
	status, b := h.do(h.request(path, body))
	if status != http.StatusOK {
		h.t.Fatalf("%s: HTTP %d: %s", path, status, b)
	}
	return decodeEnvelope(h.t, b)
}

func decodeEnvelope(t *testing.T, b []byte) upstream.Envelope {
	t.Helper()
	var env upstream.Envelope
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("decode envelope: %v: %s", err, b)
	}
	return env
}

// page fetches one page of q and fails the test unless it succeeds.
func (h *harness) page(q upstream.Query, page, size int) upstream.PageData {
	h.t.Helper()
	path, body := bodyFor(q, page, size)
	env := h.envelope(path, body)
	if env.Code != upstream.CodeOK {
		h.t.Fatalf("%s page %d: code %d: %s", q.Kind, page, env.Code, env.Msg)
	}
	var pd upstream.PageData
	if err := json.Unmarshal(env.Data, &pd); err != nil {
		h.t.Fatalf("decode page: %v", err)
	}
	return pd
}

// code posts a query page and returns the envelope code and message.
func (h *harness) code(q upstream.Query, page, size int) (int, string) {
	h.t.Helper()
	path, body := bodyFor(q, page, size)
	env := h.envelope(path, body)
	return env.Code, env.Msg
}

// crawl pages q to its end, as a careful client would: until an empty page or totalPage.
// It returns the ids in order and the pages fetched, the empty one included.
func (h *harness) crawl(q upstream.Query, size int) (ids []string, pages []upstream.PageData) {
	h.t.Helper()
	for p := 1; ; p++ {
		pd := h.page(q, p, size)
		pages = append(pages, pd)
		if len(pd.Data) == 0 {
			return ids, pages
		}
		for _, it := range pd.Data {
			ids = append(ids, itemID(h.t, it))
		}
		if p > 2*MaxResults {
			h.t.Fatal("paging does not end")
		}
	}
}

func itemID(t *testing.T, it upstream.RawItem) string {
	t.Helper()
	var id string
	if err := json.Unmarshal(it.OfferMapID, &id); err != nil {
		t.Fatalf("offerMapId %s is not a string: %v", it.OfferMapID, err)
	}
	return id
}

// bodyFor builds the path and body of one page of q the way API.md describes the
// endpoints: the endpoint row's paging and language fields, categoryId as an integer where
// the row says so.
func bodyFor(q upstream.Query, page, size int) (string, map[string]any) {
	ep, ok := upstream.Lookup(q.Kind)
	if !ok {
		panic("unknown kind " + q.Kind)
	}
	body := map[string]any{ep.LangField: "en"}
	if ep.Paged {
		body[ep.PageField] = page
		body[ep.SizeField] = size
	}
	for _, p := range ep.Params {
		v := q.Value(p)
		if v == "" {
			continue
		}
		if p == upstream.ParamCategoryID && ep.IntCategory {
			n, err := strconv.Atoi(v)
			if err != nil {
				panic(err)
			}
			body[string(p)] = n
			continue
		}
		body[string(p)] = v
	}
	if q.Kind == upstream.KindCategory {
		body["keyword"] = ""
	}
	return ep.Path, body
}

// price parses a priceInfo decimal string.
func price(t *testing.T, s *string) float64 {
	t.Helper()
	if s == nil {
		t.Fatal("price is null")
	}
	v, err := strconv.ParseFloat(*s, 64)
	if err != nil {
		t.Fatalf("price %q: %v", *s, err)
	}
	return v
}

func monthSold(t *testing.T, it upstream.RawItem) int64 {
	t.Helper()
	n, err := strconv.ParseInt(string(it.MonthSold), 10, 64)
	if err != nil {
		t.Fatalf("monthSold %s: %v", it.MonthSold, err)
	}
	return n
}
