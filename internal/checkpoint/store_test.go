package checkpoint

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpen_CreatesDirectoryAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "state.db")
	s := mustOpenOpts(t, path, nil)
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode %v, want 0600", mode)
	}
	if n, err := s.CountOffers(); err != nil || n != 0 {
		t.Errorf("CountOffers() = %d, %v on a new store", n, err)
	}
}

func TestOpen_NotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(filepath.Join(file, "state.db"), nil)
	if err == nil || errors.Is(err, ErrLocked) {
		t.Fatalf("Open under a regular file: %v, want a non-lock error", err)
	}
}

// bbolt's flock belongs to the open file description, so a second Open in the same process
// contends for the lock exactly as another process would.
func TestOpen_Locked_SameProcess(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir)

	done := make(chan error, 1)
	go func() {
		s2, err := Open(s.Path(), nil) // default lock timeout
		if err == nil {
			_ = s2.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open: %v, want ErrLocked", err)
		}
		want := "open state " + s.Path() + ": state directory is in use by another syncd process"
		if err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second Open did not give up within 5s (default lock timeout is 1s)")
	}

	// The failed attempt must not have disturbed the holder, and the lock is free after Close.
	if _, err := s.CountOffers(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mustOpenOpts(t, s.Path(), nil)
}

func TestOpen_Locked_OtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	c := startChild(t, "hold", path)
	c.expect(t, "ready")

	_, err := Open(path, &Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while another process holds the store: %v, want ErrLocked", err)
	}

	c.stop(t)
	mustOpenOpts(t, path, nil) // released when the holder exits
}

func TestOpen_SchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	setSchemaVersion(t, path, schemaVersion+1)

	_, err = Open(path, nil)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
	t.Log(err)

	// The refused Open released the file and did not rewrite the version.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("file still locked after refused Open: %v", err)
	}
	defer db.Close()
	if v := readSchemaVersion(t, db); v != schemaVersion+1 {
		t.Errorf("schema version rewritten to %d", v)
	}
}

func TestOpen_WritesSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := readSchemaVersion(t, s.db); v != schemaVersion {
		t.Errorf("schema version %d, want %d", v, schemaVersion)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	mustOpenOpts(t, path, nil) // its own version opens again
}

func TestStore_Stats(t *testing.T) {
	s := mustOpen(t, t.TempDir())
	rows := make([]Row, 300)
	for i := range rows {
		rows[i] = testRow(i)
	}
	putRows(t, s, rows)
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.Offers != 300 || st.FileSize != fi.Size() || st.FileSize == 0 {
		t.Errorf("Stats() = %+v, want 300 offers and file size %d", st, fi.Size())
	}
	// 300 rows of ~500 bytes: at least 150 kB of live pages, and no more than the file.
	if st.DataSize < 150_000 || st.DataSize > st.FileSize {
		t.Errorf("DataSize = %d, want between 150000 and the file's %d", st.DataSize, st.FileSize)
	}

	// Live data grows with a sighting log and shrinks when it is folded away; the file
	// does not shrink.
	var ids []string
	for range 200 {
		ids = append(ids, rows[0].Doc.OfferID)
	}
	for range 50 {
		if err := s.CommitPage("tees", Cursor{Run: Run{ID: "r1"}}, nil, Sighting{At: 1, IDs: ids}); err != nil {
			t.Fatal(err)
		}
	}
	logged, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.FoldSightings("tees", "", nil); err != nil {
		t.Fatal(err)
	}
	folded, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if logged.DataSize < st.DataSize+50*200*13 || folded.DataSize >= logged.DataSize-50*200*13/2 || folded.FileSize < logged.FileSize {
		t.Errorf("data %d → %d (log of ~130 kB) → %d after the fold; file %d → %d",
			st.DataSize, logged.DataSize, folded.DataSize, logged.FileSize, folded.FileSize)
	}
}

func TestStore_CloseTwiceAndUseAfterClose(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.CountOffers(); err == nil {
		t.Error("CountOffers after Close succeeded")
	}
	if err := s.CommitPage("j", Cursor{}, []Row{testRow(1)}, Sighting{}); err == nil {
		t.Error("CommitPage after Close succeeded")
	}
}

func setSchemaVersion(t *testing.T, path string, v uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, u64(v))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readSchemaVersion(t *testing.T, db *bolt.DB) uint64 {
	t.Helper()
	var v uint64
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta).Get(keySchema)
		if len(b) != 8 {
			return errors.New("no schema version")
		}
		v = binary.BigEndian.Uint64(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
