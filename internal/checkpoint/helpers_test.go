package checkpoint

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/syncd/syncd/internal/index"
)

// The test binary doubles as a second syncd process: with childRoleEnv set, TestMain runs
// that role instead of the tests. The parent talks to it over stdin/stdout.
const (
	childRoleEnv = "SYNCD_CHECKPOINT_TEST_CHILD" // "hold" or "commit"
	childPathEnv = "SYNCD_CHECKPOINT_TEST_PATH"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(childRoleEnv); role != "" {
		if err := runChild(role, os.Getenv(childPathEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild opens the store at path and says "ready" on stdout once it holds the lock.
// Role "commit" first commits childPages pages of childRows(page) and says "committed".
// It then waits for stdin to close and exits without closing the store, as a crash would.
func runChild(role, path string) error {
	s, err := Open(path, nil)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	if role == "commit" {
		for p := 1; p <= childPages; p++ {
			if err := s.CommitPage("child", Cursor{Page: p + 1}, childRows(p), Sighting{}); err != nil {
				return err
			}
		}
		fmt.Println("committed")
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}

const childPages = 3

func childRows(page int) []Row {
	rows := make([]Row, 10)
	for i := range rows {
		rows[i] = testRow(page*100 + i)
	}
	return rows
}

// child is a running child process of the test binary.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

// startChild starts the test binary in role on the store at path. Cleanup ends it.
func startChild(t *testing.T, role, path string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childRoleEnv+"="+role, childPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	})
	return c
}

// expect waits (bounded) for the child to print line.
func (c *child) expect(t *testing.T, line string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		if c.out.Scan() {
			got <- c.out.Text()
		}
		close(got)
	}()
	select {
	case l, ok := <-got:
		if !ok || l != line {
			t.Fatalf("child said %q (ok=%v), want %q", l, ok, line)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("child did not say %q within 30s", line)
	}
}

// stop lets the child exit normally and waits for it.
func (c *child) stop(t *testing.T) {
	t.Helper()
	_ = c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
}

// mustOpen opens a store in dir (default options) and closes it when the test ends,
// checking first that the file is consistent and the offer counter matches the bucket.
func mustOpen(t testing.TB, dir string) *Store {
	t.Helper()
	return mustOpenOpts(t, filepath.Join(dir, "state.db"), nil)
}

func mustOpenOpts(t testing.TB, path string, opts *Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		checkStore(t, s)
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// checkStore runs bbolt's consistency check and compares the offer counter with the keys
// actually in the offers bucket. A closed store is skipped.
func checkStore(t testing.TB, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() { // drain: Check's goroutine uses tx until it closes the channel
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return fmt.Errorf("bbolt check: %w", errors.Join(errs...))
		}
		n, err := offerCount(tx)
		if err != nil {
			return err
		}
		if keys := tx.Bucket(bucketOffers).Stats().KeyN; uint64(keys) != n {
			return fmt.Errorf("offer counter is %d, bucket holds %d keys", n, keys)
		}
		return nil
	})
	if err != nil && !errors.Is(err, berrors.ErrDatabaseNotOpen) {
		t.Error(err)
	}
}

// testRow is a realistic row: every field set, as crawl would store it.
func testRow(i int) Row {
	jx, pf := 11.5+float64(i%7), 10.8+float64(i%5)
	return Row{
		Doc: index.Offer{
			OfferID:        fmt.Sprintf("%012d", 600000000000+i*7919),
			Subject:        fmt.Sprintf("2026夏季新款纯棉短袖T恤男宽松圆领体恤衫 %d号", i),
			SubjectTrans:   fmt.Sprintf("2026 summer new pure cotton short-sleeved T-shirt men's loose round neck tee no. %d", i),
			ImageURL:       fmt.Sprintf("https://cbu01.alicdn.com/img/ibank/O1CN01a%08dZ_!!2215678901234-0-cib.jpg", i),
			Price:          12.8 + float64(i%50)/10,
			JxhyPrice:      &jx,
			PfJxhyPrice:    &pf,
			MonthSold:      int64(1000 + i*13),
			RepurchaseRate: 0.41,
			IsJxhy:         i%2 == 0,
			CategoryID:     "1033054",
			SellerOpenID:   "b2b-2215678901234a5f3c",
			Sources:        []string{"tees", "polo-shirts"},
			FirstSeenAt:    1767225600 + int64(i),
			UpdatedAt:      1767312000 + int64(i),
		},
		Hash:       0x9e3779b97f4a7c15 * uint64(i+1),
		LastSeenAt: 1767312000 + int64(i),
		SeenBy:     map[string]string{"tees": "20260102T000000-a1b2", "polo-shirts": "20260101T120000-c3d4"},
	}
}

// putRows commits rows in pages of 500 under job "fill".
func putRows(t testing.TB, s *Store, rows []Row) {
	t.Helper()
	for len(rows) > 0 {
		n := min(len(rows), 500)
		if err := s.CommitPage("fill", Cursor{}, rows[:n], Sighting{}); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
	}
}
