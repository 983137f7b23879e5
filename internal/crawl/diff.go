package crawl

import (
	"maps"
	"slices"
	"time"

	"github.com/syncd/syncd/internal/checkpoint"
	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/upstream"
)

// pageDiff is one page compared with the mirror: the rows to write (new, changed, or
// gaining a source), the documents the index must receive (the same offers), the offers
// seen whose rows stay as they are, and the counts.
type pageDiff struct {
	rows  []checkpoint.Row
	docs  []index.Offer
	seen  []string
	stats PageStats
}

// distinctOffers returns the offers of a page with each offer id once (the first
// sighting wins: rankings drift, and a page may repeat an offer), their ids, and how many
// offers had no id at all (they cannot be keyed, so they count as invalid).
func distinctOffers(offers []upstream.Offer) (distinct []upstream.Offer, ids []string, noID int) {
	seen := make(map[string]bool, len(offers)) // bounded by the page size
	for _, o := range offers {
		switch {
		case o.OfferID == "":
			noID++
		case !seen[o.OfferID]:
			seen[o.OfferID] = true
			distinct = append(distinct, o)
			ids = append(ids, o.OfferID)
		}
	}
	return distinct, ids, noID
}

// diffPage compares distinct offers of one page, seen by run runID of job at now, with
// their existing mirror rows (by id; absent for new offers). seenBefore reports the
// offers the run recorded as seen, without rewriting their rows, on earlier pages.
//
// An offer is counted once per run: one that seenBefore reports, or whose row's
// SeenBy[job] is runID (the run wrote it), was counted on an earlier page (or before a
// resume), so it is only merged, not counted again. Otherwise it is new (no row), changed
// (content hash differs) or unchanged. A new or changed offer, or one that gains job as a
// source, has its row written (last seen now, by runID) and its document sent to the
// index. Any other offer is left alone in both: an unchanged one the run has not counted
// yet goes to seen, for the sighting log (checkpoint.Sighting), which is what records when
// it was seen without rewriting its row.
func diffPage(job, runID string, now time.Time, offers []upstream.Offer, existing map[string]checkpoint.Row, seenBefore func(string) bool) pageDiff {
	d := pageDiff{rows: make([]checkpoint.Row, 0, len(offers))}
	unix := now.Unix()
	for _, o := range offers {
		hash := contentHash(o)
		old, exists := existing[o.OfferID]
		changed := exists && old.Hash != hash
		repeated := exists && (old.SeenBy[job] == runID || seenBefore(o.OfferID))
		sources, gained := withSource(old.Doc.Sources, job)

		d.stats.Offers++
		switch {
		case repeated:
			d.stats.Repeated++
		case !exists:
			d.stats.New++
		case changed:
			d.stats.Changed++
		default:
			d.stats.Unchanged++
		}
		if exists && !changed && !gained {
			if !repeated {
				d.seen = append(d.seen, o.OfferID)
			}
			continue
		}

		doc := toDoc(o)
		doc.Sources = sources
		doc.FirstSeenAt, doc.UpdatedAt = unix, unix
		if exists {
			if old.Doc.FirstSeenAt != 0 {
				doc.FirstSeenAt = old.Doc.FirstSeenAt
			}
			if !changed {
				doc.UpdatedAt = old.Doc.UpdatedAt
			}
		}
		seenBy := maps.Clone(old.SeenBy)
		if seenBy == nil {
			seenBy = make(map[string]string, 1)
		}
		seenBy[job] = runID
		d.rows = append(d.rows, checkpoint.Row{Doc: doc, Hash: hash, LastSeenAt: unix, SeenBy: seenBy})
		d.docs = append(d.docs, doc)
	}
	d.stats.Indexed = len(d.docs)
	return d
}

// withSource returns sources with job added, sorted and without duplicates, and whether
// job is new to it. sources is not modified.
func withSource(sources []string, job string) ([]string, bool) {
	out := make([]string, 0, len(sources)+1)
	out = append(out, sources...)
	gained := !slices.Contains(out, job)
	if gained {
		out = append(out, job)
	}
	slices.Sort(out)
	return slices.Compact(out), gained
}

// toDoc turns a normalised upstream offer into its search document, without the fields
// syncd owns (sources and timestamps).
func toDoc(o upstream.Offer) index.Offer {
	return index.Offer{
		OfferID:        o.OfferID,
		Subject:        o.Subject,
		SubjectTrans:   o.SubjectTrans,
		ImageURL:       o.ImageURL,
		Price:          o.Price,
		JxhyPrice:      clonePrice(o.JxhyPrice),
		PfJxhyPrice:    clonePrice(o.PfJxhyPrice),
		MonthSold:      o.MonthSold,
		RepurchaseRate: o.RepurchaseRate,
		IsJxhy:         o.IsJxhy,
		CategoryID:     o.CategoryID,
		SellerOpenID:   o.SellerOpenID,
	}
}

// clonePrice copies an optional price so that documents never share memory with the
// upstream page they came from.
func clonePrice(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
