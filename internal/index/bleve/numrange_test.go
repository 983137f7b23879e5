package bleve

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSplitRange checks that the blocks of splitRange cover exactly [lo, hi], each value
// once, including ranges at the ends of int64.
func TestSplitRange(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	key := func(v int64, shift uint) uint64 { return (uint64(v) ^ 1<<63) >> shift }
	edges := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64 - 1, math.MaxInt64}
	for i := range 3000 {
		var lo, hi int64
		switch i % 3 {
		case 0:
			lo, hi = int64(r.Uint64()), int64(r.Uint64())
		case 1:
			lo = int64(r.Uint64())
			hi = lo + int64(r.IntN(1<<20))
		default:
			lo, hi = edges[r.IntN(len(edges))], edges[r.IntN(len(edges))]
		}
		levels := trieLevels([]string{"price", "monthSold"}[i%2])
		blocks := splitRange(lo, hi, levels)
		probes := append([]int64{lo, hi, lo - 1, hi + 1, lo + 1, hi - 1, int64(r.Uint64())}, edges...)
		for range 20 {
			if lo < hi {
				probes = append(probes, lo+int64(r.Uint64()%uint64(hi-lo)))
			}
		}
		for _, v := range probes {
			n := 0
			for _, b := range blocks {
				if k := key(v, b.shift); k >= key(b.lo, b.shift) && k <= key(b.hi, b.shift) {
					n++
				}
			}
			want := 0
			if v >= lo && v <= hi {
				want = 1
			}
			if n != want {
				t.Fatalf("range [%d, %d], value %d: in %d blocks, want %d (blocks %+v)", lo, hi, v, n, want, blocks)
			}
		}
	}
}
