package meili

// Tests against a real Meilisearch server (>= 1.15). They run when SYNCD_MEILI_URL is set,
// and are skipped otherwise:
//
//	meilisearch --master-key dev-key-0123456789   # or the getmeili/meilisearch image
//	SYNCD_MEILI_URL=http://127.0.0.1:7700 SYNCD_MEILI_KEY=dev-key-0123456789 \
//		go test ./internal/index/meili/ -run Real -v
//
// Each test works on its own index uid (syncd_test_<time>_<n>) and deletes it, and any
// temporary rebuild index, when it ends.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/indextest"
)

const skipReal = "SYNCD_MEILI_URL not set: no Meilisearch server here; see internal/index/meili/README.md"

var realSeq atomic.Int64

// realOptions returns options for a fresh index on the server of SYNCD_MEILI_URL, or skips.
func realOptions(t *testing.T) Options {
	t.Helper()
	url := os.Getenv("SYNCD_MEILI_URL")
	if url == "" {
		t.Skip(skipReal)
	}
	return Options{
		URL:          url,
		APIKey:       os.Getenv("SYNCD_MEILI_KEY"),
		Index:        fmt.Sprintf("syncd_test_%d_%d", time.Now().UnixNano(), realSeq.Add(1)),
		TaskTimeout:  time.Minute,
		PollInterval: 10 * time.Millisecond,
	}
}

// openReal opens opts and deletes its index (and temporary rebuild indexes) at cleanup.
func openReal(t *testing.T, opts Options) *Index {
	t.Helper()
	ix, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := ix.deleteLeftovers(ctx, opts.Index+"_rebuild_"); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		if err := ix.deleteIndex(ctx, opts.Index); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		ix.Close()
	})
	return ix
}

func TestReal_Conformance(t *testing.T) {
	realOptions(t) // skip early, with the message, when there is no server
	indextest.Run(t, func(t *testing.T) index.Index { return openReal(t, realOptions(t)) })
}

// countingTransport counts the settings updates a client sends.
type countingTransport struct {
	patches atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/settings") {
		c.patches.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestReal_SettingsNotReapplied proves that what the server answers for syncd's settings
// compares equal to them, so a restart does not re-index every document.
func TestReal_SettingsNotReapplied(t *testing.T) {
	opts := realOptions(t)
	ct := &countingTransport{}
	opts.HTTPClient = &http.Client{Transport: ct, Timeout: time.Minute}
	openReal(t, opts)
	if n := ct.patches.Load(); n != 1 {
		t.Fatalf("first Open sent %d settings updates, want 1", n)
	}
	ix, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if n := ct.patches.Load(); n != 1 {
		t.Errorf("second Open sent a settings update: the server's answer does not compare equal to syncd's settings")
	}
}

// TestReal_FailedTask proves that a failed task of a real server is a *TaskError, by sending
// a document id Upsert would refuse.
func TestReal_FailedTask(t *testing.T) {
	ix := openReal(t, realOptions(t))
	bad := sampleOffers(1)
	bad[0].OfferID = "not valid!"
	err := ix.upsertTo(context.Background(), ix.uid, bad)
	var te *TaskError
	if !errors.As(err, &te) || te.Status != "failed" || te.Code != "invalid_document_id" || te.Message == "" {
		t.Fatalf("upsert of an invalid id = %v, want a failed *TaskError invalid_document_id", err)
	}
}

func TestReal_WrongKey(t *testing.T) {
	opts := realOptions(t)
	if opts.APIKey == "" {
		t.Skip("SYNCD_MEILI_KEY not set: the server may need no key")
	}
	opts.APIKey += "-wrong"
	_, err := Open(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "refused the API key") || strings.Contains(err.Error(), opts.APIKey) {
		t.Fatalf("Open with a wrong key = %v", err)
	}
}
