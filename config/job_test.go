package config

import (
	"reflect"
	"testing"

	"github.com/syncd/syncd/internal/upstream"
)

func TestJob_Queries(t *testing.T) {
	tests := []struct {
		name, job string
		want      []upstream.Query
	}{
		{
			name: "keyword with price and sort",
			job:  "kind: keyword\n    keywords: [T恤, polo衫]\n    price_start: \"5\"\n    price_end: \"50\"\n    sort: '{\"monthSold\":\"desc\"}'\n    filter: f",
			want: []upstream.Query{
				{Kind: "keyword", Keyword: "T恤", PriceStart: "5", PriceEnd: "50", Sort: `{"monthSold":"desc"}`, Filter: "f"},
				{Kind: "keyword", Keyword: "polo衫", PriceStart: "5", PriceEnd: "50", Sort: `{"monthSold":"desc"}`, Filter: "f"},
			},
		},
		{
			name: "keyword within categories",
			job:  "kind: keyword\n    keywords: [a, b]\n    category_ids: [\"1\", \"2\"]",
			want: []upstream.Query{
				{Kind: "keyword", Keyword: "a", CategoryID: "1"}, {Kind: "keyword", Keyword: "a", CategoryID: "2"},
				{Kind: "keyword", Keyword: "b", CategoryID: "1"}, {Kind: "keyword", Keyword: "b", CategoryID: "2"},
			},
		},
		{
			name: "category",
			job:  "kind: category\n    category_ids: [\"1031919\"]",
			want: []upstream.Query{{Kind: "category", CategoryID: "1031919"}},
		},
		{
			name: "shop by seller then keyword",
			job:  "kind: shop\n    keywords: [k1, k2]\n    seller_open_ids: [s1, s2]",
			want: []upstream.Query{
				{Kind: "shop", SellerOpenID: "s1", Keyword: "k1"}, {Kind: "shop", SellerOpenID: "s1", Keyword: "k2"},
				{Kind: "shop", SellerOpenID: "s2", Keyword: "k1"}, {Kind: "shop", SellerOpenID: "s2", Keyword: "k2"},
			},
		},
		{
			name: "hotlist by rank then category",
			job:  "kind: hotlist\n    category_ids: [\"7\"]\n    rank_types: [hot, goodPrice]",
			want: []upstream.Query{{Kind: "hotlist", RankType: "hot", CategoryID: "7"}, {Kind: "hotlist", RankType: "goodPrice", CategoryID: "7"}},
		},
		{
			name: "image",
			job:  "kind: image\n    image_urls: [\"https://x/a.jpg\"]",
			want: []upstream.Query{{Kind: "image", ImageAddress: "https://x/a.jpg"}},
		},
		{
			name: "related",
			job:  "kind: related\n    offer_ids: [\"1\", \"2\"]",
			want: []upstream.Query{{Kind: "related", OfferID: "1"}, {Kind: "related", OfferID: "2"}},
		},
		{
			name: "recommend has one empty query",
			job:  "kind: recommend",
			want: []upstream.Query{{Kind: "recommend"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, jobsDoc("  - name: j\n    "+tt.job+"\n"), nil)
			got := cfg.Jobs[0].Queries()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Queries() =\n  %+v\nwant\n  %+v", got, tt.want)
			}
			// Every query must satisfy the endpoint's own contract: required parameters
			// set, and nothing set that the endpoint does not take.
			e, _ := upstream.Lookup(cfg.Jobs[0].Kind)
			for _, q := range got {
				for _, p := range e.Required {
					if q.Value(p) == "" {
						t.Errorf("query %+v lacks required %s", q, p)
					}
				}
				for _, p := range []upstream.Param{upstream.ParamKeyword, upstream.ParamCategoryID, upstream.ParamSellerOpenID,
					upstream.ParamImageAddress, upstream.ParamOfferID, upstream.ParamRankType, upstream.ParamPriceStart,
					upstream.ParamPriceEnd, upstream.ParamSort, upstream.ParamFilter} {
					if q.Value(p) != "" && !e.Takes(p) {
						t.Errorf("query %+v sets %s, which %s does not take", q, p, e.Kind)
					}
				}
			}
		})
	}
	var unknown Job
	unknown.Kind = "detail"
	if q := unknown.Queries(); q != nil {
		t.Errorf("Queries of a non-listing kind = %v, want nil", q)
	}
}
