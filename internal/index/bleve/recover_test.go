package bleve_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
	"github.com/syncd/syncd/internal/index/indextest"
)

// makeIndex builds a closed index holding docs at dir.
func makeIndex(t *testing.T, dir string, docs []index.Offer) {
	t.Helper()
	ix, err := bleve.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Upsert(ctxT(t), docs); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
}

// siblings lists the names beside dir that belong to it (dir.old, dir.rebuild-*).
func siblings(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), filepath.Base(dir)+".") && !strings.HasSuffix(e.Name(), ".lock") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestOpen_RecoversInterruptedSwap lays out what a crash at each step of a Rebuild leaves
// on disk and checks that Open ends with exactly one complete index and no leftovers.
func TestOpen_RecoversInterruptedSwap(t *testing.T) {
	oldDocs := []index.Offer{offer("old-1", "旧款T恤", "Old Tee"), offer("old-2", "旧款衬衫", "Old Shirt")}
	newDocs := []index.Offer{offer("new-1", "新款T恤", "New Tee")}
	for _, c := range []struct {
		name     string
		dir, old string // which index sits at dir and at dir.old ("" none, "old", "new")
		rebuild  string // the index in dir.rebuild-x
		complete bool   // whether the rebuild was marked complete
		want     string
	}{
		{"crash while building", "old", "", "new", false, "old"},
		{"crash after marking complete", "old", "", "new", true, "old"},
		{"crash between the renames", "", "old", "new", true, "new"},
		{"crash between renames, rebuild unmarked", "", "old", "new", false, "old"},
		{"crash before removing the old index", "new", "old", "", false, "new"},
		{"crash while creating the first index", "", "", "new", true, "new"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "index")
			build := func(which, at string) {
				if which == "" {
					return
				}
				docs := oldDocs
				if which == "new" {
					docs = newDocs
				}
				tmp := filepath.Join(t.TempDir(), "build")
				makeIndex(t, tmp, docs)
				if err := os.Rename(tmp, at); err != nil {
					t.Fatal(err)
				}
			}
			build(c.dir, dir)
			build(c.old, dir+".old")
			rb := dir + ".rebuild-123"
			build(c.rebuild, rb)
			if c.complete {
				if err := os.WriteFile(filepath.Join(rb, "syncd-rebuild-complete"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}

			ix, err := bleve.Open(dir, nil)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer ix.Close()
			want := oldDocs
			if c.want == "new" {
				want = newDocs
			}
			r := mustSearch(t, ix, index.Query{Limit: 100})
			var wantIDs []string
			for _, o := range want {
				wantIDs = append(wantIDs, o.OfferID)
			}
			slices.Sort(wantIDs)
			if got := hitIDs(r); !slices.Equal(got, wantIDs) {
				t.Errorf("after recovery the index holds %v, want %v", got, wantIDs)
			}
			if left := siblings(t, dir); len(left) != 0 {
				t.Errorf("leftovers after recovery: %v", left)
			}
			if _, err := os.Stat(filepath.Join(dir, "syncd-rebuild-complete")); err == nil {
				t.Error("completion marker left in the live index")
			}
		})
	}
}

func TestRebuild_ReplaysConcurrentWrites(t *testing.T) {
	ix, dir := openTemp(t, &bleve.Options{BatchSize: 3})
	docs := indextest.Fixture()
	if err := ix.Upsert(ctxT(t), docs); err != nil {
		t.Fatal(err)
	}
	halfway, proceed := make(chan struct{}), make(chan struct{})
	src := func(ctx context.Context, emit func(index.Offer) error) error {
		for i, o := range docs {
			if i == 20 {
				close(halfway)
				<-proceed
			}
			if err := emit(o); err != nil {
				return err
			}
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- ix.Rebuild(ctxT(t), src) }()
	<-halfway
	// A crawler page lands during the rebuild: a new offer, a changed one the source
	// already emitted, and a deletion of one it has yet to emit.
	added := offer("900", "新款渔夫帽", "Bucket Hat")
	changed := docs[3]
	changed.Price = 123
	if err := ix.Upsert(ctxT(t), []index.Offer{added, changed}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(ctxT(t), []string{docs[30].OfferID}); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	if err := <-done; err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if n, _ := ix.Count(ctxT(t)); n != uint64(len(docs)) {
		t.Errorf("Count = %d, want %d (+1 added, -1 deleted)", n, len(docs))
	}
	if _, err := ix.Get(ctxT(t), added.OfferID); err != nil {
		t.Errorf("offer upserted during the rebuild: %v", err)
	}
	if got, _ := ix.Get(ctxT(t), changed.OfferID); got.Price != 123 {
		t.Errorf("offer changed during the rebuild has price %v, want 123", got.Price)
	}
	if _, err := ix.Get(ctxT(t), docs[30].OfferID); !errors.Is(err, index.ErrNotFound) {
		t.Errorf("offer deleted during the rebuild: err = %v, want ErrNotFound", err)
	}
	if left := siblings(t, dir); len(left) != 0 {
		t.Errorf("leftovers after rebuild: %v", left)
	}
}

func TestRebuild_CanceledLeavesOldIndex(t *testing.T) {
	ix, dir := openTemp(t, &bleve.Options{BatchSize: 5})
	docs := indextest.Fixture()
	if err := ix.Upsert(ctxT(t), docs); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	src := func(ctx context.Context, emit func(index.Offer) error) error {
		for i, o := range docs {
			if i == 12 {
				cancel()
			}
			if err := emit(o); err != nil {
				return err
			}
		}
		return nil
	}
	if err := ix.Rebuild(ctx, src); !errors.Is(err, context.Canceled) {
		t.Fatalf("Rebuild with a canceled context: err = %v, want context.Canceled", err)
	}
	if n, _ := ix.Count(ctxT(t)); n != uint64(len(docs)) {
		t.Errorf("Count = %d after a canceled rebuild, want %d", n, len(docs))
	}
	if left := siblings(t, dir); len(left) != 0 {
		t.Errorf("leftovers after a canceled rebuild: %v", left)
	}
}

const crashChildEnv = "SYNCD_BLEVE_CRASH_CHILD"

// TestUpsert_SurvivesKill checks the durability promise of Upsert against a real crash:
// a child process upserts batch after batch and reports each acknowledgement; it is
// killed with SIGKILL mid-stream, and every acknowledged document must be in the index
// when it is opened again.
func TestUpsert_SurvivesKill(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := filepath.Join(t.TempDir(), "index")
	cmd := exec.Command(os.Args[0], "-test.run=^TestUpsert_SurvivesKill$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked, _ = strconv.Atoi(n)
			if acked == 5 {
				break
			}
		}
	}
	// The child is in the middle of batch 6 or later when the signal lands.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked, _ = strconv.Atoi(n)
		}
	}
	cmd.Wait()
	if acked < 5 {
		t.Fatalf("child acknowledged %d batches before dying", acked)
	}

	ix, err := bleve.Open(dir, nil)
	if err != nil {
		t.Fatalf("Open after kill: %v", err)
	}
	defer ix.Close()
	for b := 0; b <= acked; b++ {
		for _, o := range crashBatch(b) {
			got, err := ix.Get(ctxT(t), o.OfferID)
			if err != nil {
				t.Fatalf("acknowledged offer %s of batch %d: %v", o.OfferID, b, err)
			}
			if got.Subject != o.Subject {
				t.Fatalf("acknowledged offer %s: subject %q, want %q", o.OfferID, got.Subject, o.Subject)
			}
		}
	}
	r := mustSearch(t, ix, index.Query{Text: "T恤"})
	if r.Total < (acked+1)*len(crashBatch(0)) {
		t.Errorf("search after kill: total %d, want at least %d", r.Total, (acked+1)*len(crashBatch(0)))
	}
}

func crashBatch(b int) []index.Offer {
	docs := make([]index.Offer, 50)
	for i := range docs {
		docs[i] = offer(fmt.Sprintf("%d-%d", b, i), fmt.Sprintf("第%d批纯棉T恤", b), "Cotton Tee")
	}
	return docs
}

// crashChild upserts batches until it is killed, printing "acked <n>" after batch n.
func crashChild(dir string) {
	ix, err := bleve.Open(dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	for b := 0; ; b++ {
		if err := ix.Upsert(context.Background(), crashBatch(b)); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		fmt.Printf("acked %d\n", b)
		if b > 10000 {
			time.Sleep(time.Hour) // never reached in practice: the parent kills us
		}
	}
}
