package checkpoint

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

// benchMirror is the number of offers in the mirror the store benchmarks run against.
const benchMirror = 20000

// benchStore opens a store holding the rows benchRows returns.
func benchStore(b *testing.B, noSync bool) (*Store, []Row) {
	b.Helper()
	s := mustOpenOpts(b, filepath.Join(b.TempDir(), "state.db"), &Options{NoSync: true})
	rows := make([]Row, benchMirror)
	for i := range rows {
		rows[i] = testRow(i)
	}
	putRows(b, s, rows)
	s.db.NoSync = noSync
	return s, rows
}

// BenchmarkCommitPage commits pages of 50 rows, as crawl does for every fetched page:
// "update" rewrites offers already in the mirror (a re-crawl), "insert" adds new ones.
// The fsync variants measure the disk more than the store.
func BenchmarkCommitPage(b *testing.B) {
	const pageSize = 50
	for _, bc := range []struct {
		name   string
		insert bool
		noSync bool
	}{
		{"update/nosync", false, true},
		{"insert/nosync", true, true},
		{"update/fsync", false, false},
		{"insert/fsync", true, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, mirror := benchStore(b, bc.noSync)
			page := make([]Row, pageSize)
			next := 0
			b.ReportAllocs()
			for b.Loop() {
				for i := range page {
					page[i] = mirror[next%benchMirror] // shallow copy; the store only reads it
					page[i].LastSeenAt += int64(next)
					if bc.insert {
						page[i].Doc.OfferID = "n" + strconv.Itoa(next) // the one allocation
					}
					next++
				}
				if err := s.CommitPage("bench", Cursor{Page: next}, page, Sighting{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(next)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkRows reads the mirror rows of a page of 50 offers spread over the mirror, as
// crawl does before diffing a page: "hit" when they exist, "miss" for new offers.
func BenchmarkRows(b *testing.B) {
	s, _ := benchStore(b, true)
	hit := make([]string, 50)
	miss := make([]string, 50)
	for i := range hit {
		hit[i] = testRow(i * (benchMirror / 50)).Doc.OfferID
		miss[i] = testRow(benchMirror + i).Doc.OfferID
	}
	for _, bc := range []struct {
		name string
		ids  []string
	}{{"hit", hit}, {"miss", miss}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rows, _, err := s.Rows(bc.ids)
				if err != nil {
					b.Fatal(err)
				}
				if bc.name == "hit" && len(rows) != len(bc.ids) {
					b.Fatalf("%d rows", len(rows))
				}
			}
		})
	}
}

// BenchmarkForEachOffer walks the whole mirror, as reindex does.
func BenchmarkForEachOffer(b *testing.B) {
	s, _ := benchStore(b, true)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		err := s.ForEachOffer(context.Background(), func(Row) error { n++; return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}
