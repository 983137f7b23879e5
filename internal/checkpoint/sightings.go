package checkpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/syncd/syncd/internal/binenc"
)

// Sightings: when a run sees an offer that the mirror already has, unchanged, it does not
// rewrite the offer's row to say so. Offer ids are random, so rewriting rows touches one
// leaf page of the mirror per offer and a re-sync of an unchanged catalog would cost as
// much disk as the first sync. Instead the commit of the page appends one entry to the
// job's sighting log: when, and the ids of the offers seen and not rewritten. Appends go
// to the end of the log, a page or two per commit whatever the offers.
//
// An offer's last-seen time is therefore the later of its row's LastSeenAt (set when a run
// wrote the row, or raised by a fold) and the latest log entry that lists it (LastSeen).
// Within one run an unchanged offer is logged once, at its first sighting, so LastSeen
// tells when the last run that saw it first saw it. A job keeps the log of its current or
// last finished run, and of runs not folded yet (runs abandoned since: fresh starts, or a
// changed config): FoldSightings, called when a run succeeds, raises LastSeenAt on the
// rows of the offers that older runs saw and the finished run did not, and deletes those
// runs' entries. For a stable catalog that writes nothing; the rows of offers that
// disappeared from a job's results record the last time it saw them. A job no longer
// configured keeps its last log until DeleteJob.
//
// Log keys are the run id, a zero byte and an 8-byte big-endian sequence number, so a
// run's entries are contiguous and in commit order (run ids contain no zero byte: they
// are JSON strings the runner makes from a timestamp). An entry is
//
//	At     varint, unix seconds
//	IDs    uvarint count, then each id as a string (uvarint length and bytes)

// Sighting is what one commit records of the offers a run saw without rewriting their rows.
type Sighting struct {
	At  int64    // when, in unix seconds
	IDs []string // the offers, each an id of a row in the mirror
}

// putSighting appends s to job's log under run runID, in tx. An empty s writes nothing.
func putSighting(tx *bolt.Tx, job, runID string, s Sighting) error {
	if len(s.IDs) == 0 {
		return nil
	}
	if runID == "" {
		return fmt.Errorf("record %d sightings: the cursor has no run id", len(s.IDs))
	}
	b, err := tx.Bucket(bucketSightings).CreateBucketIfNotExists([]byte(job))
	if err != nil {
		return fmt.Errorf("create sighting log: %w", err)
	}
	b.FillPercent = 1 // entries are appended: keys only grow, so full pages split the least
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next sighting sequence: %w", err)
	}
	key := binary.BigEndian.AppendUint64(append(append(make([]byte, 0, len(runID)+9), runID...), 0), seq)
	size := 2 * binary.MaxVarintLen64
	for _, id := range s.IDs {
		size += binary.MaxVarintLen64 + len(id)
	}
	v := binary.AppendVarint(make([]byte, 0, size), s.At)
	v = binary.AppendUvarint(v, uint64(len(s.IDs)))
	for _, id := range s.IDs {
		v = binenc.AppendString(v, id)
	}
	if err := b.Put(key, v); err != nil {
		return fmt.Errorf("append sightings: %w", err)
	}
	return nil
}

// decodeSighting decodes an entry of a sighting log. The ids share one copy of v.
func decodeSighting(v []byte) (Sighting, error) {
	d := binenc.NewDecoder(string(v), 0)
	s := Sighting{At: d.Varint()}
	s.IDs = make([]string, d.Count(1))
	for i := range s.IDs {
		s.IDs[i] = d.Text()
	}
	if err := d.Finish(); err != nil {
		return Sighting{}, fmt.Errorf("decode sightings: %w", err)
	}
	return s, nil
}

// runPrefix is the prefix of the log keys of run runID.
func runPrefix(runID string) []byte {
	return append([]byte(runID), 0)
}

// RunSightings calls fn with every entry that run runID of job recorded, in commit order:
// what a resumed run needs to know which offers it has seen already. fn runs inside a read
// transaction and must not call the Store. An entry that cannot be decoded is skipped and
// counted in bad: the log is a record of sightings, and losing one costs at most an offer
// counted twice, where failing would stop the job for good.
func (s *Store) RunSightings(job, runID string, fn func(Sighting)) (bad int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSightings).Bucket([]byte(job))
		if b == nil {
			return nil
		}
		prefix := runPrefix(runID)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			e, err := decodeSighting(v)
			if err != nil {
				bad++
				continue
			}
			fn(e)
		}
		return nil
	})
	if err != nil {
		return bad, fmt.Errorf("read sightings of run %s of job %s: %w", runID, job, err)
	}
	return bad, nil
}

// foldBatch is about how many logged offers FoldSightings folds per transaction: enough
// to make commits rare (a stable catalog writes nothing but the deletions), few enough to
// bound the rows one transaction may rewrite.
const foldBatch = 16384

// FoldSightings moves what job's sighting log says about runs other than keep into the
// mirror rows, and deletes those entries: every offer an entry lists gets its row's
// LastSeenAt raised to the entry's time, unless run keep saw it too — seen(id) reports
// that keep recorded it in the log, and a row whose SeenBy[job] is keep was rewritten by
// keep. keep's own entries stay. An empty keep with a nil seen folds everything.
//
// Entries are folded and deleted in transactions of about foldBatch offers, so the work of
// one transaction is bounded and a crash in between leaves entries that the next call
// folds again (raising a time to the same value twice changes nothing). For a stable
// catalog nothing but the log is written, and a job with nothing to fold costs one read
// transaction. An entry that cannot be decoded is deleted unfolded and counted in bad
// (see RunSightings); a row that cannot be decoded is left as it is.
func (s *Store) FoldSightings(job, keep string, seen func(id string) bool) (bad int, err error) {
	var keepPrefix []byte
	if keep != "" {
		keepPrefix = runPrefix(keep)
	}
	// first returns the first entry at or after from that is not keep's.
	first := func(c *bolt.Cursor, from []byte) ([]byte, []byte) {
		k, v := c.Seek(from)
		if keepPrefix != nil && bytes.HasPrefix(k, keepPrefix) {
			// keep's entries are contiguous: skip past them.
			k, v = c.Seek(append(bytes.Clone(keepPrefix[:len(keepPrefix)-1]), 1))
		}
		return k, v
	}
	pending := false
	err = s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketSightings).Bucket([]byte(job)); b != nil {
			k, _ := first(b.Cursor(), nil)
			pending = k != nil
		}
		return nil
	})
	for more := pending; err == nil && more; {
		err = s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSightings).Bucket([]byte(job))
			var (
				drop   [][]byte // deleting under a moving cursor skips entries: collect first
				folded int
				c      = b.Cursor()
				k, v   = first(c, nil)
			)
			for ; k != nil && folded < foldBatch; k, v = first(c, append(bytes.Clone(k), 0)) {
				drop = append(drop, bytes.Clone(k))
				e, err := decodeSighting(v)
				if err != nil {
					bad++
					continue
				}
				if err := raiseLastSeen(tx, job, keep, e, seen); err != nil {
					return err
				}
				folded += len(e.IDs)
			}
			for _, k := range drop {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			more = k != nil
			return nil
		})
	}
	if err != nil {
		return bad, fmt.Errorf("fold sightings of job %s: %w", job, err)
	}
	return bad, nil
}

// raiseLastSeen raises LastSeenAt to e.At on the rows of e's offers that run keep of job
// did not see, in tx.
func raiseLastSeen(tx *bolt.Tx, job, keep string, e Sighting, seen func(string) bool) error {
	offers := tx.Bucket(bucketOffers)
	c := offers.Cursor()
	var buf []byte
	for _, id := range e.IDs {
		if seen != nil && seen(id) {
			continue
		}
		v, ok := seek(c, []byte(id))
		if !ok {
			continue // not in the mirror any more: nothing to record
		}
		r, err := decodeRow(id, v)
		if err != nil {
			continue // nothing to raise; the next commit that sees the offer replaces the row
		}
		if r.LastSeenAt >= e.At || (keep != "" && r.SeenBy[job] == keep) {
			continue
		}
		r.LastSeenAt = e.At
		buf = appendRow(buf[:0], &r)
		// bbolt keeps the value until commit: each put needs its own copy.
		if err := offers.Put([]byte(id), bytes.Clone(buf)); err != nil {
			return fmt.Errorf("put offer %s: %w", id, err)
		}
	}
	return nil
}

// LastSeen returns when any job last saw the offer (unix seconds), and whether the mirror
// has it: the later of its row's LastSeenAt and the latest sighting that lists it. It reads
// every job's sighting log, so it costs in proportion to the offers of the jobs' recent
// runs; it is meant for tools and tests, not for every offer of a page.
func (s *Store) LastSeen(id string) (int64, bool, error) {
	var (
		at int64
		ok bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketOffers).Get([]byte(id))
		if v == nil || id == "" {
			return nil
		}
		r, err := decodeRow(id, v)
		if err != nil {
			return err
		}
		at, ok = r.LastSeenAt, true
		return tx.Bucket(bucketSightings).ForEachBucket(func(job []byte) error {
			return tx.Bucket(bucketSightings).Bucket(job).ForEach(func(_, v []byte) error {
				e, err := decodeSighting(v)
				if err != nil {
					return nil // skipped, as RunSightings does
				}
				if e.At > at {
					for _, seen := range e.IDs {
						if seen == id {
							at = e.At
							break
						}
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		return 0, false, fmt.Errorf("last seen of offer %s: %w", id, err)
	}
	return at, ok, nil
}
