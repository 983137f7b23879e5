package sim

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The catalog is built from this small vocabulary: product families (each one category with
// a few subcategories, one noun each) and modifiers. A title is a few modifiers followed by a
// noun; the Chinese subject and the English subjectTrans come from the same choices, so they
// always say the same thing.

// modGroup keeps a title from combining contradictory modifiers: at most one per group.
type modGroup uint8

const (
	groupSeason modGroup = iota
	groupGender
	groupMaterial
	groupStyle
	groupProperty
	groupTrade
	numGroups
)

type modifier struct {
	zh, en string
	group  modGroup
}

// modifiers is ordered the way words read in a title: season, gender, material, style,
// property, trade terms. Titles list their modifiers in this order.
var modifiers = []modifier{
	{"2024新款", "2024 new", groupSeason},
	{"夏季", "summer", groupSeason},
	{"冬季", "winter", groupSeason},
	{"春秋", "spring autumn", groupSeason},
	{"男士", "men's", groupGender},
	{"女款", "women's", groupGender},
	{"儿童", "children's", groupGender},
	{"情侣", "couple", groupGender},
	{"纯棉", "cotton", groupMaterial},
	{"冰丝", "ice silk", groupMaterial},
	{"莫代尔", "modal", groupMaterial},
	{"雪纺", "chiffon", groupMaterial},
	{"真皮", "genuine leather", groupMaterial},
	{"帆布", "canvas", groupMaterial},
	{"PU皮", "PU leather", groupMaterial},
	{"硅胶", "silicone", groupMaterial},
	{"透明", "transparent", groupMaterial},
	{"塑料", "plastic", groupMaterial},
	{"玻璃", "glass", groupMaterial},
	{"不锈钢", "stainless steel", groupMaterial},
	{"PVC", "PVC", groupMaterial},
	{"韩版", "Korean style", groupStyle},
	{"宽松", "loose", groupStyle},
	{"修身", "slim fit", groupStyle},
	{"简约", "minimalist", groupStyle},
	{"复古", "vintage", groupStyle},
	{"国潮", "guochao", groupStyle},
	{"ins风", "ins style", groupStyle},
	{"卡通", "cartoon", groupStyle},
	{"商务", "business", groupStyle},
	{"可爱", "cute", groupStyle},
	{"加厚", "thickened", groupProperty},
	{"重磅", "heavyweight", groupProperty},
	{"透气", "breathable", groupProperty},
	{"防水", "waterproof", groupProperty},
	{"大容量", "large capacity", groupProperty},
	{"防摔", "shockproof", groupProperty},
	{"便携", "portable", groupProperty},
	{"降噪", "noise cancelling", groupProperty},
	{"无线", "wireless", groupProperty},
	{"保温", "insulated", groupProperty},
	{"磁吸", "magnetic", groupProperty},
	{"轻便", "lightweight", groupProperty},
	{"防滑", "non-slip", groupProperty},
	{"跨境", "cross-border", groupTrade},
	{"厂家直销", "factory direct", groupTrade},
	{"定制logo", "custom logo", groupTrade},
	{"批发", "wholesale", groupTrade},
}

// industry is a top-level category: the parent of one or more families.
type industry struct {
	id, zh, en string
}

var industries = []industry{
	{"10166", "服装", "Apparel"},
	{"1038378", "鞋靴", "Shoes"},
	{"1813", "箱包皮具", "Luggage & Bags"},
	{"7", "数码电脑", "Digital & Computers"},
	{"67", "办公文教", "Office & Stationery"},
	{"1042954", "家居日用", "Home & Daily Use"},
	{"1043472", "玩具", "Toys"},
}

// noun is one subcategory of a family and the noun its titles end with.
type noun struct {
	subID        string
	zh, en       string
	catZH, catEN string // subcategory name
}

// family is one product family: a category with its subcategories, the modifiers its
// titles may use, its share of the catalog, its price distribution and its picture.
type family struct {
	key         string // stable slug
	id          string // category id
	zh, en      string // category name
	industry    int
	nouns       []noun
	mods        []string // modifier zh texts, resolved to indexes at init
	weight      int      // relative share of the catalog
	priceMedian float64  // CNY
	priceSigma  float64  // of the log-normal price
	color       string   // picture background
	shape       string   // SVG elements of the picture, in a 240×240 box
}

var families = []family{
	{key: "tshirt", id: "1031910", zh: "T恤", en: "T-shirts", industry: 0,
		nouns: []noun{
			{"1031911", "短袖T恤", "short sleeve t-shirt", "短袖T恤", "Short Sleeve T-shirts"},
			{"1031912", "长袖T恤", "long sleeve t-shirt", "长袖T恤", "Long Sleeve T-shirts"},
			{"1031913", "圆领T恤", "crew neck t-shirt", "圆领T恤", "Crew Neck T-shirts"},
		},
		mods:   []string{"2024新款", "夏季", "春秋", "男士", "女款", "情侣", "纯棉", "冰丝", "莫代尔", "韩版", "宽松", "修身", "国潮", "ins风", "重磅", "透气", "跨境", "厂家直销", "定制logo", "批发"},
		weight: 16, priceMedian: 18, priceSigma: 0.6, color: "#e4572e", shape: shapeShirt},
	{key: "polo", id: "1031920", zh: "POLO衫", en: "Polo Shirts", industry: 0,
		nouns: []noun{
			{"1031921", "短袖polo衫", "short sleeve polo shirt", "短袖POLO衫", "Short Sleeve Polo Shirts"},
			{"1031922", "翻领polo衫", "lapel polo shirt", "翻领POLO衫", "Lapel Polo Shirts"},
		},
		mods:   []string{"2024新款", "夏季", "春秋", "男士", "女款", "纯棉", "冰丝", "韩版", "修身", "简约", "商务", "透气", "跨境", "厂家直销", "定制logo", "批发"},
		weight: 8, priceMedian: 28, priceSigma: 0.55, color: "#4c72b0", shape: shapeShirt + shapeCollar},
	{key: "dress", id: DressesCategory, zh: "连衣裙", en: "Dresses", industry: 0,
		nouns: []noun{
			{"127204012", "碎花连衣裙", "floral dress", "碎花连衣裙", "Floral Dresses"},
			{"127204013", "吊带连衣裙", "slip dress", "吊带连衣裙", "Slip Dresses"},
			{"127204014", "长款连衣裙", "long dress", "长款连衣裙", "Long Dresses"},
		},
		mods:   []string{"2024新款", "夏季", "春秋", "女款", "纯棉", "冰丝", "雪纺", "韩版", "宽松", "修身", "简约", "复古", "ins风", "透气", "跨境", "厂家直销", "批发"},
		weight: 10, priceMedian: 45, priceSigma: 0.6, color: "#c44e97", shape: shapeDress},
	{key: "shoes", id: "1037003", zh: "男鞋", en: "Men's Shoes", industry: 1,
		nouns: []noun{
			{"1037004", "休闲男鞋", "men's casual shoes", "休闲男鞋", "Men's Casual Shoes"},
			{"1037005", "运动男鞋", "men's sports shoes", "运动男鞋", "Men's Sports Shoes"},
			{"1037006", "正装男鞋", "men's dress shoes", "正装男鞋", "Men's Dress Shoes"},
		},
		mods:   []string{"2024新款", "夏季", "冬季", "春秋", "真皮", "帆布", "PU皮", "韩版", "简约", "复古", "国潮", "透气", "防水", "轻便", "防滑", "跨境", "厂家直销", "批发"},
		weight: 9, priceMedian: 65, priceSigma: 0.6, color: "#8c564b", shape: shapeShoe},
	{key: "vest", id: "1031930", zh: "背心", en: "Vests", industry: 0,
		nouns: []noun{
			{"1031931", "运动背心", "sports vest", "运动背心", "Sports Vests"},
			{"1031932", "工字背心", "racerback vest", "工字背心", "Racerback Vests"},
			{"1031933", "吊带背心", "camisole vest", "吊带背心", "Camisole Vests"},
		},
		mods:   []string{"2024新款", "夏季", "男士", "女款", "纯棉", "冰丝", "莫代尔", "韩版", "宽松", "修身", "透气", "跨境", "厂家直销", "批发"},
		weight: 6, priceMedian: 12, priceSigma: 0.55, color: "#17becf", shape: shapeVest},
	{key: "bag", id: "1042754", zh: "包", en: "Bags", industry: 2,
		nouns: []noun{
			{"1042755", "手提包", "handbag", "手提包", "Handbags"},
			{"1042756", "双肩包", "backpack", "双肩包", "Backpacks"},
			{"1042757", "斜挎包", "crossbody bag", "斜挎包", "Crossbody Bags"},
		},
		mods:   []string{"2024新款", "男士", "女款", "儿童", "真皮", "帆布", "PU皮", "韩版", "简约", "复古", "ins风", "防水", "大容量", "便携", "轻便", "跨境", "厂家直销", "定制logo", "批发"},
		weight: 10, priceMedian: 38, priceSigma: 0.8, color: "#9467bd", shape: shapeBag},
	{key: "phonecase", id: "124052008", zh: "手机壳", en: "Phone Cases", industry: 3,
		nouns: []noun{
			{"124052009", "苹果手机壳", "phone case for iPhone", "苹果手机壳", "iPhone Cases"},
			{"124052010", "华为手机壳", "phone case for Huawei", "华为手机壳", "Huawei Phone Cases"},
			{"124052011", "小米手机壳", "phone case for Xiaomi", "小米手机壳", "Xiaomi Phone Cases"},
		},
		mods:   []string{"硅胶", "透明", "简约", "ins风", "卡通", "可爱", "防水", "防摔", "磁吸", "跨境", "厂家直销", "定制logo", "批发"},
		weight: 10, priceMedian: 6, priceSigma: 0.6, color: "#2ca02c", shape: shapePhone},
	{key: "folder", id: "1033054", zh: "文件夹", en: "Folders", industry: 4,
		nouns: []noun{
			{"1033055", "A4文件夹", "A4 folder", "A4文件夹", "A4 Folders"},
			{"1033056", "插页文件夹", "insert folder", "插页文件夹", "Insert Folders"},
			{"1033057", "档案文件夹", "file folder", "档案文件夹", "File Folders"},
		},
		mods:   []string{"透明", "塑料", "PVC", "简约", "卡通", "加厚", "防水", "大容量", "厂家直销", "定制logo", "批发"},
		weight: 6, priceMedian: 4, priceSigma: 0.7, color: "#bcbd22", shape: shapeFolder},
	{key: "cup", id: "1042401", zh: "水杯", en: "Water Cups", industry: 5,
		nouns: []noun{
			{"1042402", "吸管水杯", "straw water cup", "吸管水杯", "Straw Water Cups"},
			{"1042403", "双层水杯", "double wall water cup", "双层水杯", "Double Wall Water Cups"},
			{"1042404", "带盖水杯", "water cup with lid", "带盖水杯", "Water Cups with Lid"},
		},
		mods:   []string{"夏季", "冬季", "儿童", "情侣", "硅胶", "塑料", "玻璃", "不锈钢", "简约", "ins风", "卡通", "可爱", "大容量", "便携", "保温", "跨境", "厂家直销", "定制logo", "批发"},
		weight: 8, priceMedian: 15, priceSigma: 0.7, color: "#1f77b4", shape: shapeCup},
	{key: "toy", id: "1035781", zh: "玩具", en: "Toys", industry: 6,
		nouns: []noun{
			{"1035782", "益智玩具", "educational toy", "益智玩具", "Educational Toys"},
			{"1035783", "毛绒玩具", "plush toy", "毛绒玩具", "Plush Toys"},
			{"1035784", "遥控玩具", "remote control toy", "遥控玩具", "Remote Control Toys"},
		},
		mods:   []string{"2024新款", "儿童", "硅胶", "塑料", "卡通", "可爱", "便携", "跨境", "厂家直销", "批发"},
		weight: 8, priceMedian: 20, priceSigma: 0.9, color: "#ff7f0e", shape: shapeBear},
	{key: "earphones", id: "1046692", zh: "耳机", en: "Earphones", industry: 3,
		nouns: []noun{
			{"1046693", "蓝牙耳机", "bluetooth earphones", "蓝牙耳机", "Bluetooth Earphones"},
			{"1046694", "头戴式耳机", "over-ear headphones", "头戴式耳机", "Over-ear Headphones"},
			{"1046695", "入耳式耳机", "in-ear earphones", "入耳式耳机", "In-ear Earphones"},
		},
		mods:   []string{"2024新款", "简约", "复古", "国潮", "卡通", "防水", "便携", "降噪", "无线", "轻便", "跨境", "厂家直销", "批发"},
		weight: 9, priceMedian: 45, priceSigma: 1.0, color: "#59606b", shape: shapeHeadphones},
}

// token is one vocabulary entry as titles use it: a modifier or a noun. Token ids are the
// modifier indexes, then the nouns family by family (nounBase).
type token struct {
	zh      string   // as written in subjects
	zhLower string   // lower-cased, for case-insensitive substring matching
	en      string   // as written in subjectTrans
	enCap   string   // en with its first letter upper-cased, for the start of a title
	enWords []string // lower-cased words of en, and their parts split at '-' and '\''
	zhJSON  []byte   // zh escaped for a JSON string, without quotes
	enJSON  []byte
	enCapJ  []byte
}

// vocab is everything derived from the tables above, built once.
type vocabulary struct {
	tokens     []token
	nounBase   []int              // token id of the first noun of each family
	famByGroup [][numGroups][]int // per family, its modifier indexes by group
	famGroups  [][]modGroup       // per family, the groups it has modifiers in
	subs       []subRef           // per global subcategory index (same order as noun tokens)
	runeTokens map[rune][]int
	wordTokens map[string][]int
	totalW     int
}

// subRef locates a subcategory: family index and noun index.
type subRef struct{ fam, noun int }

var vocab = buildVocab()

// DressesCategory is the id of the simulator's dresses category (连衣裙), which the demo
// mirrors with a category job.
const DressesCategory = "127204011"

func buildVocab() *vocabulary {
	v := &vocabulary{runeTokens: map[rune][]int{}, wordTokens: map[string][]int{}}
	modIndex := map[string]int{}
	for i, m := range modifiers {
		modIndex[m.zh] = i
		v.tokens = append(v.tokens, newToken(m.zh, m.en))
	}
	for f, fam := range families {
		v.nounBase = append(v.nounBase, len(v.tokens))
		for n, nn := range fam.nouns {
			v.tokens = append(v.tokens, newToken(nn.zh, nn.en))
			v.subs = append(v.subs, subRef{f, n})
		}
		var byGroup [numGroups][]int
		seen := map[modGroup]bool{}
		var groups []modGroup
		for _, zh := range fam.mods {
			i, ok := modIndex[zh]
			if !ok {
				panic(fmt.Sprintf("sim: family %s: unknown modifier %q", fam.key, zh))
			}
			byGroup[modifiers[i].group] = append(byGroup[modifiers[i].group], i)
			if g := modifiers[i].group; !seen[g] {
				seen[g] = true
				groups = append(groups, g)
			}
		}
		v.famByGroup = append(v.famByGroup, byGroup)
		v.famGroups = append(v.famGroups, groups)
		v.totalW += fam.weight
	}
	for id, t := range v.tokens {
		seen := map[rune]bool{}
		for _, r := range t.zhLower {
			if !seen[r] {
				seen[r] = true
				v.runeTokens[r] = append(v.runeTokens[r], id)
			}
		}
		for _, w := range t.enWords {
			if ids := v.wordTokens[w]; len(ids) == 0 || ids[len(ids)-1] != id {
				v.wordTokens[w] = append(v.wordTokens[w], id)
			}
		}
	}
	if len(v.tokens) > 255 {
		panic("sim: vocabulary too large for uint8 token ids")
	}
	return v
}

func newToken(zh, en string) token {
	t := token{zh: zh, zhLower: strings.ToLower(zh), en: en}
	r, size := utf8.DecodeRuneInString(en)
	t.enCap = string(unicode.ToUpper(r)) + en[size:]
	for _, w := range strings.Fields(strings.ToLower(en)) {
		t.enWords = append(t.enWords, w)
		parts := strings.FieldsFunc(w, func(r rune) bool { return r == '-' || r == '\'' })
		if len(parts) > 1 {
			for _, p := range parts {
				if len(p) > 1 {
					t.enWords = append(t.enWords, p)
				}
			}
		}
	}
	t.zhJSON = jsonEscape(nil, zh)
	t.enJSON = jsonEscape(nil, en)
	t.enCapJ = jsonEscape(nil, t.enCap)
	return t
}

// categoryRef locates a category id: an industry, a family or a subcategory.
type categoryRef struct {
	level int // 0 industry, 1 family, 2 subcategory
	index int // industry index, family index, or global subcategory index
}

// categories maps every category id to its place in the tree.
var categories = buildCategories()

func buildCategories() map[string]categoryRef {
	m := map[string]categoryRef{}
	add := func(id string, ref categoryRef) {
		if _, dup := m[id]; dup {
			panic("sim: duplicate category id " + id)
		}
		m[id] = ref
	}
	for i, ind := range industries {
		add(ind.id, categoryRef{0, i})
	}
	sub := 0
	for f, fam := range families {
		add(fam.id, categoryRef{1, f})
		for _, n := range fam.nouns {
			add(n.subID, categoryRef{2, sub})
			sub++
		}
	}
	return m
}
