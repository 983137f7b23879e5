package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrLocked is returned by Open when another process holds the state directory.
var ErrLocked = errors.New("state directory is in use by another syncd process")

// ErrSchemaTooNew is returned by Open when the file was written by a newer syncd whose
// layout this build does not know. The file is left untouched.
var ErrSchemaTooNew = errors.New("state was written by a newer syncd; upgrade syncd to open it")

// DefaultLockTimeout is the wait for another process's lock when Options.LockTimeout is
// zero.
const DefaultLockTimeout = time.Second

// schemaVersion is the layout this build reads and writes. Bump it, and migrate older
// files in migrate, whenever a bucket or value format changes incompatibly.
const schemaVersion = 1

// Buckets and meta keys. Every bucket is created by Open, so methods may assume them.
var (
	bucketMeta   = []byte("meta")   // schema version, offer counter
	bucketOffers = []byte("offers") // offer id → encoded Row (rowcodec.go)
	bucketJobs   = []byte("jobs")   // job name → JobRecord JSON
	bucketRuns   = []byte("runs")   // job name → bucket of sequence (big-endian) → Run JSON
	// job name → bucket of run id, 0, sequence (big-endian) → Sighting (sightings.go)
	bucketSightings = []byte("sightings")

	keySchema     = []byte("schema")     // uint64 big-endian
	keyOfferCount = []byte("offerCount") // uint64 big-endian, keys in bucketOffers
)

// Options configures Open. The zero value means the documented defaults.
type Options struct {
	// LockTimeout bounds the wait for another process's lock; default 1s.
	LockTimeout time.Duration
	// NoSync skips fsync on commit; for benchmarks only (a crash may lose commits).
	NoSync bool
}

// Store is the bbolt state of syncd: the offer mirror (source of truth), job cursors and run
// history. It is safe for concurrent use.
//
// Every method that writes commits its own transaction before returning: a nil error means
// the change is durable (unless Options.NoSync), any other error means none of it happened.
type Store struct {
	db   *bolt.DB
	path string
}

// StoreStats describes the store for metrics.
type StoreStats struct {
	// FileSize is the size of the store file on disk, in bytes. bbolt grows the file ahead
	// of its data and never shrinks it, so this is an upper bound of what the data needs.
	FileSize int64 `json:"fileSize"`
	// DataSize is the part of the file that holds live data: the pages written so far
	// minus those free for reuse. Unlike FileSize it shrinks when data goes.
	DataSize int64 `json:"dataSize"`
	// Offers is the number of offers in the mirror, as CountOffers reports it.
	Offers int `json:"offers"`
}

// Open opens (creating if needed) the store at path. It fails with ErrLocked (wrapped, with
// the path) within opts.LockTimeout when another process holds it.
//
// The parent directory is created if missing (mode 0755) and the file with mode 0600.
// A file written by a newer syncd is refused with ErrSchemaTooNew and left untouched. The
// lock is held until Close; a second Open of the same path in the same process waits for it
// like another process would.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.LockTimeout <= 0 {
		// bbolt waits forever on a zero timeout; a daemon must fail fast instead (DESIGN §3.7).
		o.LockTimeout = DefaultLockTimeout
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: o.LockTimeout,
		NoSync:  o.NoSync,
		// The hashmap freelist stays fast as the mirror fragments; it is the in-memory
		// representation only and does not change the file format.
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open state %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	if err := db.Update(initSchema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// initSchema checks the file's schema version and creates what a fresh file lacks. It
// returns before writing anything when the version is newer than this build's.
func initSchema(tx *bolt.Tx) error {
	var version uint64
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if v := meta.Get(keySchema); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("read schema version: malformed value of %d bytes", len(v))
			}
			version = binary.BigEndian.Uint64(v)
		}
	}
	if version > schemaVersion {
		return fmt.Errorf("schema version %d, this syncd supports up to %d: %w",
			version, schemaVersion, ErrSchemaTooNew)
	}
	// A bucket added later (sightings) is created here for files of the same version:
	// a build that does not know it ignores it.
	for _, name := range [][]byte{bucketMeta, bucketOffers, bucketJobs, bucketRuns, bucketSightings} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if version < schemaVersion {
		// Version 1 is the first layout, so there is nothing to migrate yet: a missing
		// version means a file this build just created.
		if err := meta.Put(keySchema, u64(schemaVersion)); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
	}
	if meta.Get(keyOfferCount) == nil {
		// Counting once here (O(pages)) keeps CountOffers O(1) from now on.
		n := tx.Bucket(bucketOffers).Stats().KeyN
		if err := meta.Put(keyOfferCount, u64(uint64(n))); err != nil {
			return fmt.Errorf("write offer count: %w", err)
		}
	}
	return nil
}

// Close closes the store and releases its lock. It waits for transactions in progress
// and is safe to call more than once; methods called after it return an error.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close state %s: %w", s.path, err)
	}
	return nil
}

// Path returns the file the store lives in.
func (s *Store) Path() string { return s.path }

// Stats returns the size of the store file, how much of it is live data, and the number
// of offers in the mirror. It is cheap enough to call on every metrics scrape.
func (s *Store) Stats() (StoreStats, error) {
	var st StoreStats
	err := s.db.View(func(tx *bolt.Tx) error {
		n, err := offerCount(tx)
		st.Offers = int(n)
		dbs := s.db.Stats()
		free := dbs.FreePageN + dbs.PendingPageN
		st.DataSize = tx.Size() - int64(free)*int64(s.db.Info().PageSize)
		return err
	})
	if err != nil {
		return StoreStats{}, fmt.Errorf("store stats: %w", err)
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return StoreStats{}, fmt.Errorf("stat state: %w", err)
	}
	st.FileSize = fi.Size()
	return st, nil
}

// u64 encodes v as 8 big-endian bytes, the format of every counter and sequence key.
func u64(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v)
}
