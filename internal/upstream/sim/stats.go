package sim

import (
	"maps"
	"slices"
	"sync"
)

// Stats counts what the simulator received and answered since it started or since
// ResetStats. Only API requests are counted: not /_sim routes, pictures, health checks, or
// Matches.
type Stats struct {
	// Requests counts every API request received, by path, whatever its fate.
	Requests map[string]int `json:"requests"`
	// Pages counts successful answers by page key: the path, the query parameters that
	// were set (in a fixed order), and for listing endpoints page and pageSize, e.g.
	// "/v2/alibaba/product/keywords/query?keyword=t恤&page=2&pageSize=20".
	Pages map[string]int `json:"pages"`
	// Faults counts injected faults by kind.
	Faults map[Fault]int `json:"faults"`
	// Rejected counts refused requests by reason: "signature", "timestamp", "headers",
	// "params", "quota", "method", "notfound".
	Rejected map[string]int `json:"rejected"`
	// Served counts successful answers (envelope code 200).
	Served int `json:"served"`
}

// Duplicates returns the page keys served successfully more than once, sorted. A crawler
// that never spends quota twice for the same page leaves it empty.
func (st Stats) Duplicates() []string {
	var out []string
	for k, n := range st.Pages {
		if n > 1 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// statsBox guards the live counters.
type statsBox struct {
	mu sync.Mutex
	st Stats
}

func newStats() Stats {
	return Stats{Requests: map[string]int{}, Pages: map[string]int{}, Faults: map[Fault]int{}, Rejected: map[string]int{}}
}

func (b *statsBox) update(fn func(st *Stats)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fn(&b.st)
}

func (b *statsBox) snapshot() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Stats{
		Requests: maps.Clone(b.st.Requests),
		Pages:    maps.Clone(b.st.Pages),
		Faults:   maps.Clone(b.st.Faults),
		Rejected: maps.Clone(b.st.Rejected),
		Served:   b.st.Served,
	}
}

func (b *statsBox) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.st = newStats()
}

// Total is the number of API requests received, whatever their fate.
func (st Stats) Total() int {
	n := 0
	for _, c := range st.Requests {
		n += c
	}
	return n
}
