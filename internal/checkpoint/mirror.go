package checkpoint

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/syncd/syncd/internal/index"
)

// Row is one offer of the mirror: the document as last indexed, the hash of its upstream
// content, when it was last seen as far as the row knows, and by which run of each job
// the row was last written (to dedupe within a run). A run that sees the offer unchanged
// records a Sighting instead of rewriting the row, and FoldSightings later raises
// LastSeenAt from the sightings (leaving SeenBy alone), so the time the offer was last
// seen is LastSeen's, which is never earlier than LastSeenAt.
type Row struct {
	Doc        index.Offer       `json:"doc"`
	Hash       uint64            `json:"hash"`
	LastSeenAt int64             `json:"lastSeenAt"`
	SeenBy     map[string]string `json:"seenBy"` // job name → id of the last run that wrote it
}

// forEachChunk is how many rows ForEachOffer reads per read transaction: enough to make
// the transactions cheap, few enough to bound memory and leave writers alone.
const forEachChunk = 1000

// Rows returns the mirror rows of the given offer ids that exist, by id, in one read
// transaction, and the ids of rows that exist but cannot be decoded. Ids absent from the
// mirror (and empty ids) are in neither; the map is never nil. A row that cannot be
// decoded is left out rather than failing the call: the caller treats its offer as new
// and its next commit replaces the row, so one bad row never wedges the pages that list
// its offer.
func (s *Store) Rows(ids []string) (rows map[string]Row, corrupt []string, err error) {
	rows = make(map[string]Row, len(ids))
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOffers).Cursor()
		var key []byte
		for _, id := range ids {
			if id == "" {
				continue
			}
			key = append(key[:0], id...)
			v, ok := seek(c, key)
			if !ok {
				continue
			}
			r, err := decodeRow(id, v)
			if err != nil {
				corrupt = append(corrupt, id)
				continue
			}
			rows[id] = r
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read offers: %w", err)
	}
	return rows, corrupt, nil
}

// CommitPage writes rows to the mirror, appends seen to the job's sighting log under the
// cursor's run, and writes c as the job's cursor, in one transaction: after it returns nil
// all of it is durable; on error none of it is. seen lists offers the run saw and whose
// rows it leaves as they are (see Sighting); an empty seen writes no log entry.
//
// Each row is stored under its Doc.OfferID, replacing any row already there; an empty
// OfferID, or one longer than bbolt's 32 KiB key limit, fails the page before anything is
// written. A later row of the same page wins over an earlier one with the same id. The
// job's LastRun is kept. The count of CountOffers moves in the same transaction.
func (s *Store) CommitPage(job string, c Cursor, rows []Row, seen Sighting) error {
	if job == "" {
		return fmt.Errorf("commit page: %w", errNoJobName)
	}
	// Encode before taking the writer lock, into one buffer for the whole page: bbolt
	// needs keys and values to stay valid until commit, and one allocation beats 2×50.
	size := 0
	for i := range rows {
		switch id := rows[i].Doc.OfferID; {
		case id == "":
			return fmt.Errorf("commit page of job %s: row %d has no offer id", job, i)
		case len(id) > bolt.MaxKeySize:
			return fmt.Errorf("commit page of job %s: row %d has an offer id of %d bytes, over bbolt's %d",
				job, i, len(id), bolt.MaxKeySize)
		}
		size += len(rows[i].Doc.OfferID) + rowSizeHint(&rows[i])
	}
	buf := make([]byte, 0, size)
	keys := make([][]byte, len(rows))
	vals := make([][]byte, len(rows))
	for i := range rows {
		// Full slice expressions: should buf ever outgrow its hint, earlier keys and values
		// keep pointing at the old array, which nothing writes to any more.
		start := len(buf)
		buf = append(buf, rows[i].Doc.OfferID...)
		keys[i] = buf[start:len(buf):len(buf)]
		start = len(buf)
		buf = appendRow(buf, &rows[i])
		vals[i] = buf[start:len(buf):len(buf)]
	}

	err := s.db.Update(func(tx *bolt.Tx) error {
		offers := tx.Bucket(bucketOffers)
		oc := offers.Cursor()
		var added uint64
		for i := range rows {
			if _, ok := seek(oc, keys[i]); !ok { // sees this transaction's puts: duplicates count once
				added++
			}
			if err := offers.Put(keys[i], vals[i]); err != nil {
				return fmt.Errorf("put offer %s: %w", rows[i].Doc.OfferID, err)
			}
		}
		if added > 0 {
			if err := addOfferCount(tx, added); err != nil {
				return err
			}
		}
		if err := putSighting(tx, job, c.Run.ID, seen); err != nil {
			return err
		}
		return setCursor(tx, job, c)
	})
	if err != nil {
		return fmt.Errorf("commit page of job %s: %w", job, err)
	}
	return nil
}

// Offer returns one mirror row, and whether it exists.
func (s *Store) Offer(id string) (Row, bool, error) {
	var (
		r  Row
		ok bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		if id == "" {
			return nil
		}
		v := tx.Bucket(bucketOffers).Get([]byte(id))
		if v == nil {
			return nil
		}
		var err error
		r, err = decodeRow(id, v)
		ok = err == nil
		return err
	})
	if err != nil {
		return Row{}, false, fmt.Errorf("read offer %s: %w", id, err)
	}
	return r, ok, nil
}

// CountOffers returns the number of offers in the mirror. It reads a counter that
// CommitPage maintains, so it costs the same for ten offers or ten million.
func (s *Store) CountOffers() (int, error) {
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = offerCount(tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("count offers: %w", err)
	}
	return int(n), nil
}

// ForEachOffer calls fn for every row in offer id order, reading in bounded chunks so
// that fn may take its time without holding one long transaction. It stops at fn's first
// error or when ctx is done.
//
// Offer ids are ordered as bytes ("10" before "9"). Each chunk of up to 1000 rows is read
// in its own read transaction and fn runs with none open, so fn may call any Store method,
// writes included. Rows written during the iteration are visited if their id sorts after
// the last one visited when the next chunk is read. fn's error is returned as is, and
// ctx.Err() when ctx is done (checked before every call of fn).
func (s *Store) ForEachOffer(ctx context.Context, fn func(Row) error) error {
	var after []byte // id of the last row visited; nil before the first chunk
	chunk := make([]Row, 0, forEachChunk)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk = chunk[:0]
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketOffers).Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.First()
			} else if k, v = c.Seek(after); bytes.Equal(k, after) {
				k, v = c.Next()
			}
			for ; k != nil && len(chunk) < forEachChunk; k, v = c.Next() {
				r, err := decodeRow(string(k), v)
				if err != nil {
					return err
				}
				chunk = append(chunk, r)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("read offers: %w", err)
		}
		for _, r := range chunk {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(chunk) < forEachChunk {
			return nil
		}
		after = []byte(chunk[len(chunk)-1].Doc.OfferID)
	}
}

// seek looks key up with c, like Bucket.Get but reusing one cursor (and its search stack)
// for many lookups in the same transaction. Each Seek searches from the root, so it also
// sees the transaction's own writes made since the previous one.
func seek(c *bolt.Cursor, key []byte) ([]byte, bool) {
	k, v := c.Seek(key)
	if v == nil || !bytes.Equal(k, key) { // v is nil for a nested bucket; offers has none
		return nil, false
	}
	return v, true
}

// offerCount reads the offer counter kept in the meta bucket.
func offerCount(tx *bolt.Tx) (uint64, error) {
	v := tx.Bucket(bucketMeta).Get(keyOfferCount)
	if len(v) != 8 {
		return 0, fmt.Errorf("read offer count: malformed value of %d bytes", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// addOfferCount adds n to the offer counter, in the caller's write transaction.
func addOfferCount(tx *bolt.Tx, n uint64) error {
	cur, err := offerCount(tx)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketMeta).Put(keyOfferCount, u64(cur+n)); err != nil {
		return fmt.Errorf("write offer count: %w", err)
	}
	return nil
}
