package bleve_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/index"
	"github.com/syncd/syncd/internal/index/bleve"
)

// Benchmarks of the embedded index on synthetic offers shaped like 1688 list items (see
// perf/bleve-baseline.md for what bleve alone does). Run with
//
//	go test -run '^$' -bench . -benchtime 200x ./internal/index/bleve/

var (
	zhWords = strings.Fields("纯棉 T恤 男 女 短袖 长袖 夏季 新款 宽松 韩版 潮牌 圆领 polo衫 衬衫 连衣裙 半身裙 " +
		"牛仔裤 休闲裤 运动 套装 儿童 婴儿 加绒 加厚 冰丝 速干 印花 刺绣 纯色 条纹 格子 碎花 oversize 2024 " +
		"工作服 定制 批发 厂家 直销 跨境 外贸 亚马逊 收纳盒 保温杯 手机壳 数据线 耳机 台灯 雨伞 拖鞋 帆布鞋")
	enWords = strings.Fields("cotton t-shirt men women short long sleeve summer new loose korean streetwear " +
		"round neck polo shirt shirts dress skirt jeans casual pants sports set kids baby fleece thick ice silk " +
		"quick dry printed embroidered solid striped plaid floral oversize workwear custom wholesale factory " +
		"storage box thermos cup phone case cable earphones lamp umbrella slippers canvas shoes")
	benchCategories = []string{"1033054", "72", "122916001", "1038378", "127380009", "201240904", "1031910", "121614007"}
	benchSources    = []string{"tees", "polo", "dresses", "hot", "shop-a", "recommend"}
)

// synthOffers returns n deterministic offers; ids start at base.
func synthOffers(n, base int) []index.Offer {
	r := rand.New(rand.NewPCG(uint64(base), 42))
	out := make([]index.Offer, n)
	for i := range out {
		var zh, en strings.Builder
		for range 6 + r.IntN(6) {
			zh.WriteString(zhWords[r.IntN(len(zhWords))])
		}
		for j := range 5 + r.IntN(6) {
			if j > 0 {
				en.WriteByte(' ')
			}
			en.WriteString(enWords[r.IntN(len(enWords))])
		}
		price := float64(100+r.IntN(20000)) / 100
		o := index.Offer{
			OfferID:        fmt.Sprintf("%d", 600000000000+base+i),
			Subject:        zh.String(),
			SubjectTrans:   en.String(),
			ImageURL:       fmt.Sprintf("https://cbu01.alicdn.com/img/ibank/O1CN01%08d.jpg", base+i),
			Price:          price,
			MonthSold:      int64(r.ExpFloat64() * 800),
			RepurchaseRate: float64(r.IntN(80)) / 100,
			IsJxhy:         r.IntN(3) == 0,
			CategoryID:     benchCategories[r.IntN(len(benchCategories))],
			SellerOpenID:   fmt.Sprintf("BBBs%06d", r.IntN(2000)),
			Sources:        []string{benchSources[r.IntN(len(benchSources))]},
			FirstSeenAt:    1767225600 + int64(r.IntN(90*86400)),
		}
		o.UpdatedAt = o.FirstSeenAt + int64(r.IntN(30*86400))
		if r.IntN(2) == 0 {
			v := float64(int(price*90)) / 100
			o.JxhyPrice = &v
		}
		out[i] = o
	}
	return out
}

func BenchmarkUpsert(b *testing.B) {
	const batch = 500
	ix, err := bleve.Open(b.TempDir()+"/index", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	docs := synthOffers(batch*b.N, 0)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := ix.Upsert(ctx, docs[i*batch:(i+1)*batch]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "docs/s")
}

func BenchmarkRebuild(b *testing.B) {
	const n = 20000
	ix, err := bleve.Open(b.TempDir()+"/index", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	docs := synthOffers(n, 0)
	src := func(ctx context.Context, emit func(index.Offer) error) error {
		for _, o := range docs {
			if err := emit(o); err != nil {
				return err
			}
		}
		return nil
	}
	b.ResetTimer()
	for range b.N {
		if err := ix.Rebuild(context.Background(), src); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "docs/s")
}

func BenchmarkSearch(b *testing.B) {
	const n = 20000
	ix, err := bleve.Open(b.TempDir()+"/index", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()
	docs := synthOffers(n, 0)
	for i := 0; i < n; i += 1000 {
		if err := ix.Upsert(ctx, docs[i:i+1000]); err != nil {
			b.Fatal(err)
		}
	}
	desc := func(f string) []index.SortField { return []index.SortField{{Field: f, Desc: true}} }
	for _, c := range []struct {
		name string
		q    index.Query
	}{
		{"term", index.Query{Text: "shirt"}},
		{"term_zh", index.Query{Text: "纯棉"}},
		{"two_terms", index.Query{Text: "cotton summer"}},
		{"term+filter+sort", index.Query{Text: "shirt", Filter: "price 5 TO 80", Sort: desc("monthSold")}},
		{"filter+sort", index.Query{Filter: "price < 50 AND isJxhy = true", Sort: desc("monthSold")}},
		{"sort_all", index.Query{Sort: desc("updatedAt")}},
		{"facet", index.Query{Text: "shirt", Facets: []string{"categoryId"}}},
		{"facets_all", index.Query{Facets: []string{"categoryId", "isJxhy", "sources", "sellerOpenId"}}},
	} {
		q := c.q
		if err := q.Validate(); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			r, err := ix.Search(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := ix.Search(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(r.Total), "hits")
		})
	}
}
