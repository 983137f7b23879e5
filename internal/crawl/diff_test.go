package crawl

import (
	"slices"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/upstream"
)

func TestDiffPage_ClassifiesAndSelectsDocs(t *testing.T) {
	const t0, t1 = 1_000, 2_000
	o := offers("fresh", "changed", "same", "other", "seen", "logged")
	row := func(u upstream.Offer, hash uint64, sources []string, seenBy map[string]string) checkpoint.Row {
		d := toDoc(u)
		d.Sources, d.FirstSeenAt, d.UpdatedAt = sources, t0, t0
		return checkpoint.Row{Doc: d, Hash: hash, LastSeenAt: t0, SeenBy: seenBy}
	}
	existing := map[string]checkpoint.Row{
		"changed": row(o[1], contentHash(o[1])+1, []string{"a"}, map[string]string{"a": "r1"}),
		"same":    row(o[2], contentHash(o[2]), []string{"a"}, map[string]string{"a": "r1"}),
		"other":   row(o[3], contentHash(o[3]), []string{"b"}, map[string]string{"b": "rb"}),
		"seen":    row(o[4], contentHash(o[4]), []string{"a"}, map[string]string{"a": "r2"}),
		"logged":  row(o[5], contentHash(o[5]), []string{"a"}, map[string]string{"a": "r1"}),
	}
	// logged was seen unchanged on an earlier page of run r2: the log says so, its row not.
	seenBefore := func(id string) bool { return id == "logged" }

	d := diffPage("a", "r2", time.Unix(t1, 0), o, existing, seenBefore)

	want := PageStats{Offers: 6, New: 1, Changed: 1, Unchanged: 2, Repeated: 2, Indexed: 3}
	if d.stats != want {
		t.Errorf("stats = %+v, want %+v", d.stats, want)
	}
	var docIDs []string
	for _, doc := range d.docs {
		docIDs = append(docIDs, doc.OfferID)
	}
	// other is unchanged but gained source a; same, seen and logged change nothing
	// downstream.
	if !slices.Equal(docIDs, []string{"fresh", "changed", "other"}) {
		t.Errorf("docs = %v, want [fresh changed other]", docIDs)
	}
	// Only same is new to the run and left as it is: it goes to the sighting log. seen and
	// logged were counted on earlier pages, so neither rows nor log learn anything.
	if !slices.Equal(d.seen, []string{"same"}) {
		t.Errorf("seen = %v, want [same]", d.seen)
	}
	byID := make(map[string]checkpoint.Row)
	for _, r := range d.rows {
		byID[r.Doc.OfferID] = r
		if r.LastSeenAt != t1 || r.SeenBy["a"] != "r2" || r.Hash != contentHash(offers(r.Doc.OfferID)[0]) {
			t.Errorf("row %s: lastSeenAt %d seenBy %v hash %x", r.Doc.OfferID, r.LastSeenAt, r.SeenBy, r.Hash)
		}
	}
	if len(d.rows) != 3 {
		t.Errorf("%d rows written, want the 3 indexed ones", len(d.rows))
	}
	checks := []struct {
		id               string
		first, updated   int64
		sources          []string
		wantSeenByLength int
	}{
		{"fresh", t1, t1, []string{"a"}, 1},
		{"changed", t0, t1, []string{"a"}, 1},
		{"other", t0, t0, []string{"a", "b"}, 2},
	}
	for _, c := range checks {
		r, ok := byID[c.id]
		if !ok || r.Doc.FirstSeenAt != c.first || r.Doc.UpdatedAt != c.updated || !slices.Equal(r.Doc.Sources, c.sources) || len(r.SeenBy) != c.wantSeenByLength {
			t.Errorf("row %s (written %v): first %d updated %d sources %v seenBy %v; want %d %d %v",
				c.id, ok, r.Doc.FirstSeenAt, r.Doc.UpdatedAt, r.Doc.Sources, r.SeenBy, c.first, c.updated, c.sources)
		}
	}
	if existing["other"].SeenBy["a"] != "" || !slices.Equal(existing["other"].Doc.Sources, []string{"b"}) {
		t.Error("diffPage modified the existing rows")
	}
}

func TestWithSource(t *testing.T) {
	tests := []struct {
		in     []string
		job    string
		want   []string
		gained bool
	}{
		{nil, "a", []string{"a"}, true},
		{[]string{"c", "a"}, "b", []string{"a", "b", "c"}, true},
		{[]string{"a", "b"}, "b", []string{"a", "b"}, false},
		{[]string{"b", "a", "b"}, "a", []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.in)
		got, gained := withSource(in, tt.job)
		if !slices.Equal(got, tt.want) || gained != tt.gained {
			t.Errorf("withSource(%v, %q) = %v, %v; want %v, %v", tt.in, tt.job, got, gained, tt.want, tt.gained)
		}
		if !slices.Equal(in, tt.in) {
			t.Errorf("withSource modified its input %v to %v", tt.in, in)
		}
	}
}

func TestDistinctOffers(t *testing.T) {
	in := offers("a", "b", "a", "", "c", "b")
	in[2].Price = 1 // a later sighting on the same page does not win
	got, ids, noID := distinctOffers(in)
	if !slices.Equal(ids, []string{"a", "b", "c"}) || noID != 1 || len(got) != 3 || got[0].Price == 1 {
		t.Errorf("distinctOffers = %v %v %d", got, ids, noID)
	}
}
