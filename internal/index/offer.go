package index

// Offer is the search document of one 1688 offer (DESIGN §7, contract). OfferID is the
// primary key everywhere.
type Offer struct {
	OfferID        string   `json:"offerId"`
	Subject        string   `json:"subject"`
	SubjectTrans   string   `json:"subjectTrans"`
	ImageURL       string   `json:"imageUrl"`
	Price          float64  `json:"price"`
	JxhyPrice      *float64 `json:"jxhyPrice,omitempty"`
	PfJxhyPrice    *float64 `json:"pfJxhyPrice,omitempty"`
	MonthSold      int64    `json:"monthSold"`
	RepurchaseRate float64  `json:"repurchaseRate"`
	IsJxhy         bool     `json:"isJxhy"`
	CategoryID     string   `json:"categoryId,omitempty"`
	SellerOpenID   string   `json:"sellerOpenId,omitempty"`
	Sources        []string `json:"sources"`
	FirstSeenAt    int64    `json:"firstSeenAt"`
	UpdatedAt      int64    `json:"updatedAt"`
}

// FieldType is the type of a document field as filters and sorts see it.
type FieldType int

// The field types.
const (
	TypeString FieldType = iota
	TypeNumber
	TypeBool
	TypeStringList
)

func (t FieldType) String() string {
	switch t {
	case TypeNumber:
		return "number"
	case TypeBool:
		return "bool"
	case TypeStringList:
		return "string list"
	}
	return "string"
}

// Field describes what a document field can be used for.
type Field struct {
	Name       string
	Type       FieldType
	Searchable bool // full-text searched by Query.Text
	Filterable bool // may appear in a filter expression
	Sortable   bool // may appear in Query.Sort
	Facet      bool // may appear in Query.Facets
}

// Fields is the one table of document fields; backends derive their mappings and settings
// from it.
var Fields = []Field{
	{Name: "offerId", Type: TypeString, Filterable: true},
	{Name: "subject", Type: TypeString, Searchable: true},
	{Name: "subjectTrans", Type: TypeString, Searchable: true},
	{Name: "imageUrl", Type: TypeString},
	{Name: "price", Type: TypeNumber, Filterable: true, Sortable: true},
	{Name: "jxhyPrice", Type: TypeNumber, Filterable: true, Sortable: true},
	{Name: "pfJxhyPrice", Type: TypeNumber, Filterable: true, Sortable: true},
	{Name: "monthSold", Type: TypeNumber, Filterable: true, Sortable: true},
	{Name: "repurchaseRate", Type: TypeNumber, Filterable: true, Sortable: true},
	{Name: "isJxhy", Type: TypeBool, Filterable: true, Facet: true},
	{Name: "categoryId", Type: TypeString, Filterable: true, Facet: true},
	{Name: "sellerOpenId", Type: TypeString, Filterable: true, Facet: true},
	{Name: "sources", Type: TypeStringList, Filterable: true, Facet: true},
	{Name: "firstSeenAt", Type: TypeNumber, Filterable: true, Sortable: true},
	{Name: "updatedAt", Type: TypeNumber, Filterable: true, Sortable: true},
}

// LookupField returns the field called name.
func LookupField(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// FieldNames returns the names of the fields for which pred holds, in table order.
func FieldNames(pred func(Field) bool) []string {
	var names []string
	for _, f := range Fields {
		if pred(f) {
			names = append(names, f.Name)
		}
	}
	return names
}
