package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/syncd/syncd/internal/upstream"
)

// detailData is the detail endpoint's data: the v1 detail fields API.md §2.1 names (offerId
// and categoryId as numbers, as in its example) plus the listing fields.
type detailData struct {
	OfferID          uint64                `json:"offerId"`
	OfferMapID       string                `json:"offerMapId"`
	CategoryID       int64                 `json:"categoryId"`
	CategoryName     string                `json:"categoryName"`
	Subject          string                `json:"subject"`
	SubjectTrans     string                `json:"subjectTrans"`
	Description      string                `json:"description"`
	ImageURL         string                `json:"imageUrl"`
	ProductImage     detailImages          `json:"productImage"`
	PriceInfo        upstream.RawPriceInfo `json:"priceInfo"`
	MonthSold        int32                 `json:"monthSold"`
	RepurchaseRate   string                `json:"repurchaseRate"`
	IsJxhy           bool                  `json:"isJxhy"`
	SellerOpenID     string                `json:"sellerOpenId"`
	MinOrderQuantity int                   `json:"minOrderQuantity"`
}

type detailImages struct {
	Images []string `json:"images"`
}

// detailOutcome answers the detail endpoint: one offer, or CodeNotFound.
func (s *Server) detailOutcome(c *call, req *apiRequest, key string) *outcome {
	id := req.get(upstream.ParamOfferID)
	ix, ok := s.cat.lookupString(id)
	if !ok {
		return s.errorOutcome(c.seq, CodeNotFound, "notfound", fmt.Sprintf("offerId: no offer %q", id))
	}
	s.mu.RLock()
	d := s.detail(ix)
	s.mu.RUnlock()
	data, err := json.Marshal(d)
	if err != nil { // cannot happen: plain strings and numbers
		return s.errorOutcome(c.seq, CodeBadRequest, "params", "encode detail: "+err.Error())
	}
	b := s.envelopeHead(s.buf(), c.seq, upstream.CodeOK, "成功")
	b = append(append(b, data...), '}')
	return &outcome{status: http.StatusOK, body: b, pageKey: key}
}

// detail builds the detail of offer ix. The caller holds s.mu for reading.
func (s *Server) detail(ix int32) detailData {
	o := &s.cat.offers[ix]
	n := families[o.family].nouns[o.noun]
	cat, _ := strconv.ParseInt(n.subID, 10, 64)
	img := s.cat.imageURL(o, s.opts.ImageBaseURL)
	price := formatFen(o.price)
	d := detailData{
		OfferID:          o.id,
		OfferMapID:       strconv.FormatUint(o.id, 10),
		CategoryID:       cat,
		CategoryName:     n.catZH,
		Subject:          subject(o),
		SubjectTrans:     subjectTrans(o),
		ImageURL:         img,
		ProductImage:     detailImages{Images: []string{img}},
		PriceInfo:        upstream.RawPriceInfo{Price: &price},
		MonthSold:        o.monthSold,
		RepurchaseRate:   strconv.Itoa(int(o.repurchase)) + "%",
		IsJxhy:           o.jx,
		SellerOpenID:     s.cat.sellers[o.seller].openID,
		MinOrderQuantity: 1 + int(o.id%5)*(1+int(o.id/7%3)),
	}
	d.Description = `<div id="offer-template-0"><p>` + d.Subject + `</p><img src="` + img + `"/></div>`
	if o.jxhy >= 0 {
		v := formatFen(o.jxhy)
		d.PriceInfo.JxhyPrice = &v
	}
	if o.pfJxhy >= 0 {
		v := formatFen(o.pfJxhy)
		d.PriceInfo.PfJxhyPrice = &v
	}
	return d
}

// Category is one node of the simulated category tree, as the categories endpoint sends it.
// Industries have ParentID "0"; Children is set for industries and families.
type Category struct {
	CategoryID        string     `json:"categoryId"`
	CategoryName      string     `json:"categoryName"`
	CategoryNameTrans string     `json:"categoryNameTrans"`
	ParentID          string     `json:"parentId"`
	Leaf              bool       `json:"leaf"`
	Children          []Category `json:"children,omitempty"`
}

// LookupCategory returns the category with the given id and its children (one level), the
// same for every seed.
func LookupCategory(id string) (Category, bool) {
	ref, ok := categories[id]
	if !ok {
		return Category{}, false
	}
	switch ref.level {
	case 0:
		ind := industries[ref.index]
		c := Category{CategoryID: ind.id, CategoryName: ind.zh, CategoryNameTrans: ind.en, ParentID: "0"}
		for f := range families {
			if families[f].industry == ref.index {
				c.Children = append(c.Children, familyCategory(f, false))
			}
		}
		return c, true
	case 1:
		return familyCategory(ref.index, true), true
	}
	sub := vocab.subs[ref.index]
	n := families[sub.fam].nouns[sub.noun]
	return Category{CategoryID: n.subID, CategoryName: n.catZH, CategoryNameTrans: n.catEN, ParentID: families[sub.fam].id, Leaf: true}, true
}

// CategoryIDs returns the ids of the product families (the categories offers are listed
// under, through their subcategories), in a fixed order.
func CategoryIDs() []string {
	ids := make([]string, len(families))
	for f := range families {
		ids[f] = families[f].id
	}
	return ids
}

func familyCategory(f int, withChildren bool) Category {
	fam := families[f]
	c := Category{CategoryID: fam.id, CategoryName: fam.zh, CategoryNameTrans: fam.en, ParentID: industries[fam.industry].id}
	if withChildren {
		for _, n := range fam.nouns {
			c.Children = append(c.Children, Category{CategoryID: n.subID, CategoryName: n.catZH, CategoryNameTrans: n.catEN, ParentID: fam.id, Leaf: true})
		}
	}
	return c
}

// categoryOutcome answers the categories endpoint.
func (s *Server) categoryOutcome(c *call, req *apiRequest, key string) *outcome {
	id := req.get(upstream.ParamCategoryID)
	cat, ok := LookupCategory(id)
	if !ok {
		return s.errorOutcome(c.seq, CodeNotFound, "notfound", fmt.Sprintf("categoryId: no category %q", id))
	}
	data, err := json.Marshal(cat)
	if err != nil {
		return s.errorOutcome(c.seq, CodeBadRequest, "params", "encode category: "+err.Error())
	}
	b := s.envelopeHead(s.buf(), c.seq, upstream.CodeOK, "成功")
	b = append(append(b, data...), '}')
	return &outcome{status: http.StatusOK, body: b, pageKey: key}
}
