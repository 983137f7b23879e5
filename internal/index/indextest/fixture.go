package indextest

import (
	"fmt"
	"math"

	"github.com/syncd/syncd/internal/index"
)

// titles are the fixture's (subject, subjectTrans) pairs. Some Chinese titles put "T恤"
// before another Chinese character, at the start or at the end of the title, and mix
// Latin words into Chinese ones, because that is where naive CJK analysis fails.
var titles = [][2]string{
	{"纯棉T恤男短袖夏季宽松", "Cotton T-Shirt Men Short Sleeve Summer Loose"},
	{"女士T恤圆领纯色打底衫", "Women's T-Shirt Round Neck Solid Base Top"},
	{"儿童卡通T恤", "Kids Cartoon T-Shirt"},
	{"冰丝速干T恤运动男", "Ice Silk Quick Dry Sports T-Shirt"},
	{"T恤定制印logo工作服", "Custom Logo Printed T-Shirt Workwear"},
	{"oversize重磅T恤潮牌", "Oversize Heavyweight Streetwear Tee"},
	{"纯棉袜子男中筒", "Cotton Socks Men Mid Tube"},
	{"纯棉四件套床上用品", "Cotton Four Piece Bedding Set"},
	{"纯棉毛巾加厚吸水", "Thick Absorbent Cotton Towel"},
	{"男士长袖衬衫商务", "Men's Long Sleeve Business Shirt"},
	{"法兰绒格子衬衫", "Flannel Plaid Shirt"},
	{"polo衫男翻领短袖", "Men's Polo Shirt Lapel Short Sleeve"},
	{"夏季碎花连衣裙女", "Summer Floral Dress Women"},
	{"雪纺连衣裙长款", "Long Chiffon Dress"},
	{"双肩包学生书包", "Student Backpack School Bag"},
	{"手机壳iPhone15硅胶", "Silicone Phone Case for iPhone 15"},
	{"不锈钢保温杯大容量", "Large Capacity Stainless Steel Thermos Cup"},
	{"陶瓷马克杯带盖勺", "Ceramic Mug with Lid and Spoon"},
	{"蓝牙耳机无线降噪", "Wireless Noise Cancelling Bluetooth Earphones"},
	{"数据线快充typec", "Fast Charging Type-C Data Cable"},
	{"瑜伽裤女高腰", "High Waist Yoga Pants Women"},
	{"牛仔裤男直筒", "Men's Straight Jeans"},
	{"运动鞋男跑步鞋", "Men's Running Sneakers"},
	{"拖鞋女夏室内", "Women's Indoor Summer Slippers"},
	{"棒球帽刺绣", "Embroidered Baseball Cap"},
	{"收纳盒塑料抽屉式", "Plastic Drawer Storage Box"},
	{"宠物狗绳牵引", "Dog Leash for Pets"},
	{"厨房硅胶铲", "Kitchen Silicone Spatula"},
	{"LED台灯护眼", "LED Eye Protection Desk Lamp"},
	{"儿童积木玩具", "Kids Building Blocks Toy"},
	{"纯棉睡衣女春秋", "Women's Cotton Pajamas"},
	{"亚麻衬衫女宽松", "Women's Loose Linen Shirt"},
	{"卫衣男连帽加绒", "Men's Fleece Hooded Sweatshirt"},
	{"羽绒服女短款", "Women's Short Down Jacket"},
	{"帆布鞋女小白鞋", "Women's White Canvas Shoes"},
	{"墨镜偏光太阳镜", "Polarized Sunglasses"},
	{"真皮钱包男", "Men's Genuine Leather Wallet"},
	{"行李箱万向轮", "Spinner Wheel Luggage"},
	{"雨伞折叠自动", "Automatic Folding Umbrella"},
	{"电动牙刷成人", "Adult Electric Toothbrush"},
	{"面膜补水保湿", "Hydrating Moisturizing Face Mask"},
	{"口红哑光持久", "Long Lasting Matte Lipstick"},
	{"耳环女气质", "Elegant Women's Earrings"},
	{"手表男机械", "Men's Mechanical Watch"},
	{"保鲜膜家用", "Household Cling Film"},
	{"垃圾袋加厚", "Thick Garbage Bags"},
	{"宝宝纯棉T恤婴儿", "Baby Cotton T-Shirt Infant"},
	{"情侣T恤夏装", "Couple T-Shirts Summer Wear"},
	{"车载手机支架", "Car Phone Holder"},
	{"办公椅人体工学", "Ergonomic Office Chair"},
}

var categories = []string{"1033054", "72", "122916001", "1038378", ""}

// Fixture returns the suite's offers: one per title, every field deterministic. Prices,
// monthSold and firstSeenAt are distinct across offers, repurchaseRate takes ten values
// (ties for multi-key sorts); jxhyPrice is absent for every fourth offer, pfJxhyPrice for
// two in three, categoryId for every fifth, sellerOpenId for every eleventh; some offers
// have no sources and some list them out of alphabetical order.
func Fixture() []index.Offer {
	offers := make([]index.Offer, len(titles))
	for i, t := range titles {
		price := round2(3.9 + float64((i*37)%90)/2)
		o := index.Offer{
			OfferID:        fmt.Sprintf("%d", 600000000000+i*7919),
			Subject:        t[0],
			SubjectTrans:   t[1],
			ImageURL:       fmt.Sprintf("https://cbu01.alicdn.com/img/ibank/O1CN01%03d.jpg", i),
			Price:          price,
			MonthSold:      int64((i * 613) % 5000),
			RepurchaseRate: float64(i%10) * 0.05,
			IsJxhy:         i%3 == 1,
			CategoryID:     categories[i%len(categories)],
			FirstSeenAt:    1767225600 + int64(i)*3600,
		}
		o.UpdatedAt = o.FirstSeenAt + int64(i%10)*86400
		if i%4 != 0 {
			v := round2(price * 0.9)
			o.JxhyPrice = &v
		}
		if i%3 == 0 {
			v := round2(price * 0.85)
			o.PfJxhyPrice = &v
		}
		if i%11 != 0 {
			o.SellerOpenID = fmt.Sprintf("seller-%02d", i%7)
		}
		switch i % 6 {
		case 0:
			o.Sources = []string{"tees"}
		case 1:
			o.Sources = []string{"tees", "hot"}
		case 2:
			o.Sources = []string{"shop-a", "hot", "tees"}
		case 3:
			o.Sources = []string{"hot"}
		case 4:
			o.Sources = []string{"shop-a"}
		}
		offers[i] = o
	}
	return offers
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
