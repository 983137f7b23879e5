package meili

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The fake compresses its answers when asked, as Meilisearch does; net/http asks and
// decompresses under the SDK, so a whole session works on compressed answers.
func TestClient_AnswersCompressedOnTheWire(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	if err := ix.Upsert(context.Background(), sampleOffers(3)); err != nil {
		t.Fatal(err)
	}
	if n, calls := f.Compressed(), len(f.Calls()); n == 0 || n != calls {
		t.Errorf("%d of %d answers were compressed, want all", n, calls)
	}
}

func TestTransport_BoundsAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"pkgVersion":"1.15.2","commitSha":"` + strings.Repeat("0", 100) + `"}`))
	}))
	t.Cleanup(srv.Close)
	hc := srv.Client()
	before := hc.Transport
	cl, err := newClient(srv.URL, "", hc)
	if err != nil {
		t.Fatal(err)
	}
	if hc.Transport != before {
		t.Error("newClient changed the caller's HTTP client")
	}
	cl.hc.Transport.(*transport).limit = 64

	_, err = cl.sm.Version(context.Background())
	err = cl.check(context.Background(), err)
	if err == nil || !strings.Contains(err.Error(), "meilisearch answer to GET /version is larger than 64 bytes") {
		t.Fatalf("Version = %v, want an error about the size of the answer", err)
	}
}

func TestTransport_CompressesOnlyMarkedRequests(t *testing.T) {
	var (
		mu        sync.Mutex
		encodings []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		encodings = append(encodings, r.Header.Get("Content-Encoding"))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"taskUid":1,"status":"enqueued","type":"documentDeletion"}`))
	}))
	t.Cleanup(srv.Close)
	cl, err := newClient(srv.URL, "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cl.sm.Index("offers").DeleteDocuments(ctx, []string{"1"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.sm.Index("offers").DeleteDocuments(withCompressedBody(ctx), []string{"1"}, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(encodings) != 2 || encodings[0] != "" || encodings[1] != "gzip" {
		t.Errorf("Content-Encoding of an unmarked and a marked request = %q, want \"\" then gzip", encodings)
	}
}
