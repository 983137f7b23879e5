package meili

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/meili/meilitest"
)

func TestUpsert_Payload(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	offers := sampleOffers(4)
	offers[1].Sources = nil // still sent as an array

	if err := ix.Upsert(context.Background(), offers); err != nil {
		t.Fatal(err)
	}
	batches := f.DocumentBatches()
	if len(batches) != 1 {
		t.Fatalf("document requests = %d, want 1", len(batches))
	}
	b := batches[0]
	if !b.Gzip || b.PrimaryKey != "offerId" || b.Index != "offers" || len(b.Documents) != 4 {
		t.Errorf("batch: gzip %v, primaryKey %q, index %q, %d docs", b.Gzip, b.PrimaryKey, b.Index, len(b.Documents))
	}
	// The fake already failed the test for a field of the wrong type; check the optional
	// fields are absent, not null, when unset.
	for _, field := range []string{"jxhyPrice", "pfJxhyPrice", "categoryId", "sellerOpenId"} {
		if _, ok := b.Documents[1][field]; ok {
			t.Errorf("unset %s was sent: %v", field, b.Documents[1][field])
		}
	}
	if got := b.Documents[1]["sources"]; !reflect.DeepEqual(got, []any{}) {
		t.Errorf("nil sources sent as %#v, want []", got)
	}
	// What was written reads back identically.
	for i, want := range offers {
		got, err := ix.Get(context.Background(), want.OfferID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("offer %d reads back as\n%+v\nwant\n%+v", i, got, want)
		}
	}
}

func TestUpsert_NilOnlyAfterSucceeded(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	f.SetTaskSteps("enqueued", "processing", "processing", "processing")

	if err := ix.Upsert(context.Background(), sampleOffers(3)); err != nil {
		t.Fatal(err)
	}
	tasks := f.Tasks("documentAdditionOrUpdate")
	if len(tasks) != 1 {
		t.Fatalf("document tasks = %d, want 1", len(tasks))
	}
	served := tasks[0].Statuses
	if len(served) != 5 || served[len(served)-1] != "succeeded" {
		t.Errorf("statuses served before Upsert returned = %v, want 4 unfinished then succeeded", served)
	}
}

func TestUpsert_FailedTask_ReturnsMeilisearchError(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	f.FailTasks("documentAdditionOrUpdate", &meilitest.APIError{
		Message: "Document identifier `\"x y\"` is invalid.", Code: "invalid_document_id", Type: "invalid_request",
		Link: "https://docs.meilisearch.com/errors#invalid_document_id"})

	err := ix.Upsert(context.Background(), sampleOffers(2))
	if err == nil {
		t.Fatal("Upsert returned nil for a failed task: the runner would advance its cursor")
	}
	var te *TaskError
	if !errors.As(err, &te) || te.Status != "failed" || te.Code != "invalid_document_id" {
		t.Fatalf("error %v has no failed *TaskError with Meilisearch's code", err)
	}
	for _, want := range []string{"Document identifier", "invalid_document_id", `upsert 2 offers into "offers"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if ids := f.DocumentIDs("offers"); len(ids) != 0 {
		t.Errorf("failed task applied documents %v", ids)
	}
}

func TestUpsert_TaskNeverFinishes_TimesOut(t *testing.T) {
	f := newFake(t)
	const timeout = 200 * time.Millisecond
	ix := openFake(t, f, nil)
	// Lowered after Open, whose own tasks must not time out on a loaded machine.
	ix.opts.TaskTimeout, ix.opts.PollInterval = timeout, 10*time.Millisecond
	f.StallTasks("documentAdditionOrUpdate", true)

	start := time.Now()
	err := ix.Upsert(context.Background(), sampleOffers(2))
	elapsed := time.Since(start)
	if !errors.Is(err, ErrTaskTimeout) {
		t.Fatalf("Upsert = %v, want an error wrapping ErrTaskTimeout", err)
	}
	if !strings.Contains(err.Error(), "still processing after 200ms") {
		t.Errorf("error %q does not say what the task was doing", err)
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("Upsert gave up after %v, want about %v", elapsed, timeout)
	}
	if n := len(f.Tasks("documentAdditionOrUpdate")[0].Statuses); n < 3 {
		t.Errorf("task polled %d times in %v", n, timeout)
	}
}

func TestUpsert_ContextCanceled_IsNotATimeout(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	f.StallTasks("documentAdditionOrUpdate", true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	err := ix.Upsert(ctx, sampleOffers(1))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTaskTimeout) {
		t.Fatalf("Upsert = %v, want the context's error, not ErrTaskTimeout", err)
	}
}

func TestUpsert_Batches(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, func(o *Options) { o.BatchSize = 3 })
	offers := sampleOffers(10)

	if err := ix.Upsert(context.Background(), offers); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, b := range f.DocumentBatches() {
		sizes = append(sizes, len(b.Documents))
	}
	if !reflect.DeepEqual(sizes, []int{3, 3, 3, 1}) {
		t.Errorf("batch sizes = %v, want [3 3 3 1]", sizes)
	}
	for _, tk := range f.Tasks("documentAdditionOrUpdate") {
		if tk.Final != "succeeded" {
			t.Errorf("task %d is %q after Upsert returned", tk.UID, tk.Final)
		}
	}
	if n, err := ix.Count(context.Background()); err != nil || n != 10 {
		t.Errorf("Count = %d, %v, want 10", n, err)
	}
}

func TestUpsert_Idempotent(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	offers := sampleOffers(3)
	for range 2 { // a page re-sent after a crash before the cursor commit
		if err := ix.Upsert(context.Background(), offers); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := ix.Count(context.Background()); err != nil || n != 3 {
		t.Errorf("Count = %d, %v, want 3", n, err)
	}
}

func TestUpsert_InvalidID_NothingSent(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	offers := sampleOffers(3)
	offers[2].OfferID = "61 2"

	err := ix.Upsert(context.Background(), offers)
	if err == nil || !strings.Contains(err.Error(), `offer 2 has id "61 2"`) {
		t.Fatalf("Upsert = %v, want an error naming the offer", err)
	}
	if n := f.CallCount("POST /indexes/offers/documents"); n != 0 {
		t.Errorf("%d document requests sent", n)
	}
}

func TestDelete(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, func(o *Options) { o.BatchSize = 2 })
	offers := sampleOffers(4)
	if err := ix.Upsert(context.Background(), offers); err != nil {
		t.Fatal(err)
	}
	ids := []string{offers[0].OfferID, offers[2].OfferID, "999", "not valid"}
	if err := ix.Delete(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	if got := f.DocumentIDs("offers"); !reflect.DeepEqual(got, []string{offers[1].OfferID, offers[3].OfferID}) {
		t.Errorf("documents left = %v", got)
	}
	if err := ix.Delete(context.Background(), nil); err != nil {
		t.Errorf("Delete(nil) = %v", err)
	}
}

func TestGet_NotFound(t *testing.T) {
	f := newFake(t)
	ix := openFake(t, f, nil)
	for _, id := range []string{"600000000001", "", "a/b", strings.Repeat("1", 600)} {
		if _, err := ix.Get(context.Background(), id); !errors.Is(err, index.ErrNotFound) {
			t.Errorf("Get(%.20q) = %v, want index.ErrNotFound", id, err)
		}
	}
}
