// Package crawl turns jobs into upstream page requests and lands every page in the mirror
// and the index: fetch (a window of pages ahead, under the client's shared rate limit) →
// normalise → dedupe within the run → compare content hashes → upsert changed documents to
// the index → commit the rows of new and changed offers, the sightings of unchanged ones
// and the cursor in one bbolt transaction. The cursor only moves after the index
// acknowledged the page (DESIGN §3).
//
// Pacing (group.go): with Options.Window 0 the window is sized from the client's pace by
// Little's law (rate × (latency + commit time)); pages that have already arrived when a
// page is landed join it in one group — one index write, one transaction, the cursor at the
// group's last page — and the queries after the current one are fetched ahead (first
// pages early, then as much of them as the window leaves), so the rate limit does not idle
// at query boundaries however short the queries are. Pages still land in order.
//
// Runner runs one job to completion, resuming its unfinished run; Scheduler starts runs on
// cron schedules, on demand and after a restart; JobStatuses reports where every job
// stands. The checkpoint store is the only memory of what was seen: the runner keeps
// nothing in memory that grows with the catalog; a run holds a 64-bit hash of each offer
// it saw unchanged, about 10 bytes an offer (runSeen), rebuilt from the store when it
// resumes.
package crawl
