package bleve

import (
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
)

func terms(ts analysis.TokenStream) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t.Term)
	}
	return out
}

func testAnalyzers(t *testing.T) *analyzers {
	t.Helper()
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	a, err := newAnalyzers(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSubjectAnalyzer_Index(t *testing.T) {
	a := testAnalyzers(t)
	for _, c := range []struct {
		in   string
		want []string
	}{
		// Every character, every adjacent pair, Latin words bigrammed with the
		// ideographs they touch.
		{"纯棉T恤男", []string{"纯", "棉", "纯棉", "t", "棉t", "恤", "t恤", "男", "恤男"}},
		{"T恤", []string{"t", "恤", "t恤"}},
		{"polo衫 2024新款", []string{"polo", "衫", "polo衫", "2024", "新", "2024新", "款", "新款"}},
		{"裙", []string{"裙"}},
		{"Cotton T-Shirt", []string{"cotton", "t", "shirt"}},
		// Full-width Latin is folded; its offsets still say it touches 恤.
		{"Ｔ恤", []string{"t", "恤", "t恤"}},
		{"", []string{}},
	} {
		if got := terms(a.subject.Analyze([]byte(c.in))); !slices.Equal(got, c.want) {
			t.Errorf("index %q = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSubjectAnalyzer_Query(t *testing.T) {
	a := testAnalyzers(t)
	for _, c := range []struct {
		in   string
		want []string
	}{
		// The fewest pairs covering the chain.
		{"T恤", []string{"t恤"}},
		{"纯棉", []string{"纯棉"}},
		{"连衣裙", []string{"连衣", "衣裙"}},
		{"纯棉T恤", []string{"纯棉", "t恤"}},
		{"纯棉T恤男", []string{"纯棉", "t恤", "恤男"}},
		{"polo衫", []string{"polo衫"}},
		{"裙", []string{"裙"}},
		{"shirt", []string{"shirt"}},
		{"Ｔ恤", []string{"t恤"}},
	} {
		if got := terms(a.subjectQuery.Analyze([]byte(c.in))); !slices.Equal(got, c.want) {
			t.Errorf("query %q = %q, want %q", c.in, got, c.want)
		}
	}
}

// Every query term of a title's substring is an index term of the title, so a query that
// is a substring of a title always finds it.
func TestSubjectAnalyzer_QueryTermsAreIndexTerms(t *testing.T) {
	a := testAnalyzers(t)
	title := "2024夏季新款纯棉T恤男短袖polo衫oversize宽松Ｔ恤"
	indexed := terms(a.subject.Analyze([]byte(title)))
	runes := []rune(title)
	for i := range runes {
		for j := i + 1; j <= len(runes); j++ {
			sub := string(runes[i:j])
			for _, q := range terms(a.subjectQuery.Analyze([]byte(sub))) {
				// A cut through a Latin word makes a different word; only whole words
				// are promised.
				if !slices.Contains(indexed, q) && !cutsLatinWord(runes, i, j) {
					t.Errorf("query %q: term %q is not indexed for %q", sub, q, title)
				}
			}
		}
	}
}

func cutsLatinWord(r []rune, i, j int) bool {
	latin := func(k int) bool {
		return k >= 0 && k < len(r) && (r[k] < 0x80 || (r[k] >= 0xff01 && r[k] <= 0xff5e))
	}
	return (latin(i) && latin(i-1)) || (latin(j-1) && latin(j))
}

func TestMixedBigramFilter_BadMode(t *testing.T) {
	if _, err := newMixedBigramFilter(map[string]interface{}{"mode": "both"}, nil); err == nil {
		t.Error("mode both: no error")
	}
}
