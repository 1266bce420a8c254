"""Vocabulary of the generated benchmark corpus (manage.py generate_data): realistic, bilingual,
per category, for the second-hand and remanufacturing markets of Guangdong and Guangxi.

Everything here is data; `ListingMaker` turns a seeded random generator into listing fields, so
the same seed always gives the same corpus.
"""
import random
from dataclasses import dataclass
from decimal import Decimal

from stdnum import ean

# City, province, centre (lat, lon), districts, weight (bigger cities list more).
CITIES = [
    ("广州市", "广东", (23.13, 113.26), ["天河区", "越秀区", "海珠区", "番禺区", "白云区", "荔湾区"], 18),
    ("深圳市", "广东", (22.54, 114.06), ["南山区", "福田区", "罗湖区", "宝安区", "龙岗区", "龙华区"], 18),
    ("佛山市", "广东", (23.02, 113.12), ["禅城区", "南海区", "顺德区"], 8),
    ("东莞市", "广东", (23.02, 113.75), ["南城街道", "东城街道", "长安镇", "虎门镇"], 8),
    ("珠海市", "广东", (22.27, 113.58), ["香洲区", "金湾区", "斗门区"], 4),
    ("惠州市", "广东", (23.11, 114.42), ["惠城区", "惠阳区"], 4),
    ("中山市", "广东", (22.52, 113.39), ["石岐街道", "东区街道"], 3),
    ("江门市", "广东", (22.58, 113.08), ["蓬江区", "新会区"], 3),
    ("汕头市", "广东", (23.35, 116.68), ["金平区", "龙湖区"], 3),
    ("湛江市", "广东", (21.27, 110.36), ["赤坎区", "霞山区"], 2),
    ("肇庆市", "广东", (23.05, 112.47), ["端州区", "鼎湖区"], 2),
    ("清远市", "广东", (23.68, 113.06), ["清城区"], 1),
    ("韶关市", "广东", (24.81, 113.60), ["浈江区", "武江区"], 1),
    ("梅州市", "广东", (24.29, 116.12), ["梅江区"], 1),
    ("南宁市", "广西", (22.82, 108.32), ["青秀区", "兴宁区", "西乡塘区", "江南区"], 8),
    ("柳州市", "广西", (24.33, 109.41), ["城中区", "鱼峰区", "柳北区"], 4),
    ("桂林市", "广西", (25.27, 110.29), ["秀峰区", "象山区", "七星区"], 3),
    ("梧州市", "广西", (23.48, 111.28), ["万秀区", "长洲区"], 1),
    ("北海市", "广西", (21.48, 109.12), ["海城区", "银海区"], 1),
    ("玉林市", "广西", (22.63, 110.15), ["玉州区", "福绵区"], 2),
    ("钦州市", "广西", (21.98, 108.65), ["钦南区", "钦北区"], 1),
    ("贵港市", "广西", (23.11, 109.60), ["港北区", "港南区"], 1),
    ("百色市", "广西", (23.90, 106.62), ["右江区"], 1),
]

CONDITION_ZH = ["九成新", "95新", "99新", "八成新", "全新未拆", "自用", "个人闲置", "搬家转让", "急出", "可小刀",
                "无拆修", "功能完好", "成色很好", "有轻微划痕", "正常使用痕迹", "同城自提", "支持验货"]
CONDITION_EN = ["like new", "barely used", "good condition", "minor scratches", "fully working", "moving sale",
                "negotiable", "pickup only", "never opened", "well kept"]
REMAN_ZH = ["再制造", "原厂再制造", "质保一年", "经检测合格", "翻新件"]
REMAN_EN = ["remanufactured", "factory remanufactured", "1 year warranty", "tested and certified"]


@dataclass(frozen=True)
class CategoryVocabulary:
    slug: str
    weight: int
    nouns_zh: tuple[str, ...]
    nouns_en: tuple[str, ...]
    brands: tuple[tuple[str, str, tuple[str, ...]], ...]  # (zh, en, models)
    price: tuple[int, int]  # yuan
    remanufacturable: bool = False


CATEGORIES = [
    CategoryVocabulary("phones", 22, ("手机", "智能手机"), ("phone", "smartphone"), (
        ("华为", "Huawei", ("P40", "P50", "Mate40", "Mate60", "nova9", "nova11")),
        ("小米", "Xiaomi", ("13", "14", "Redmi K60", "Redmi Note12")),
        ("苹果", "Apple", ("iPhone 11", "iPhone 12", "iPhone 13", "iPhone 14 Pro", "iPhone SE")),
        ("OPPO", "OPPO", ("Reno10", "Find X6", "A97")),
        ("vivo", "vivo", ("X90", "S17", "iQOO 11")),
        ("荣耀", "Honor", ("X40", "Magic5", "90")),
    ), (300, 7000), True),
    CategoryVocabulary("tablets", 5, ("平板", "平板电脑"), ("tablet",), (
        ("苹果", "Apple", ("iPad Air 5", "iPad 9", "iPad Pro 11", "iPad mini 6")),
        ("华为", "Huawei", ("MatePad 11", "MatePad Pro")),
        ("小米", "Xiaomi", ("Pad 5", "Pad 6")),
    ), (500, 5000), True),
    CategoryVocabulary("laptops", 9, ("笔记本电脑", "笔记本", "轻薄本", "游戏本"), ("laptop", "notebook"), (
        ("联想", "Lenovo", ("ThinkPad X1", "ThinkPad T14", "小新Pro14", "拯救者Y7000")),
        ("苹果", "Apple", ("MacBook Air M1", "MacBook Air M2", "MacBook Pro 14")),
        ("华为", "Huawei", ("MateBook 14", "MateBook X Pro")),
        ("戴尔", "Dell", ("XPS 13", "Latitude 7420", "灵越14")),
    ), (1200, 12000), True),
    CategoryVocabulary("desktops", 3, ("台式机", "主机", "台式电脑"), ("desktop", "PC"), (
        ("联想", "Lenovo", ("天逸510", "ThinkCentre M720")),
        ("戴尔", "Dell", ("OptiPlex 7090", "成就3690")),
        ("苹果", "Apple", ("iMac 24", "Mac mini M2")),
    ), (800, 9000), True),
    CategoryVocabulary("large-appliances", 7, ("冰箱", "洗衣机", "空调", "电视", "热水器"),
                       ("fridge", "washer", "air conditioner", "TV"), (
        ("海尔", "Haier", ("BCD-470", "EG100", "KFR-35")),
        ("美的", "Midea", ("BCD-521", "MG100", "KFR-26")),
        ("格力", "Gree", ("KFR-35GW", "云佳")),
        ("TCL", "TCL", ("55V8", "65Q10")),
        ("小米", "Xiaomi", ("电视 A55", "米家冰箱 540")),
    ), (300, 6000), True),
    CategoryVocabulary("small-appliances", 6, ("电饭煲", "微波炉", "吸尘器", "电风扇", "空气炸锅", "咖啡机"),
                       ("rice cooker", "microwave", "vacuum", "fan", "air fryer", "coffee machine"), (
        ("美的", "Midea", ("MB-FB40", "M1-L213B")),
        ("苏泊尔", "Supor", ("SF40FC", "KD30")),
        ("戴森", "Dyson", ("V8", "V10", "V12")),
        ("飞利浦", "Philips", ("HD9252", "EP2121")),
    ), (50, 2500)),
    CategoryVocabulary("textbooks", 8, ("教材", "课本", "考研资料", "教辅"), ("textbook", "study guide"), (
        ("高等教育出版社", "Higher Education Press", ("高等数学 第七版", "线性代数", "概率论与数理统计")),
        ("机械工业出版社", "China Machine Press", ("深入理解计算机系统", "算法导论", "C程序设计语言")),
        ("人民教育出版社", "People's Education Press", ("高中数学 必修一", "高中物理 选修")),
    ), (5, 120)),
    CategoryVocabulary("novels", 4, ("小说", "文学", "书"), ("novel", "book"), (
        ("人民文学出版社", "People's Literature", ("红楼梦", "平凡的世界", "围城")),
        ("南海出版公司", "Nanhai", ("百年孤独", "解忧杂货店")),
        ("重庆出版社", "Chongqing", ("三体 全集",)),
    ), (5, 150)),
    CategoryVocabulary("apparel", 7, ("外套", "连衣裙", "运动鞋", "羽绒服", "衬衫", "牛仔裤"),
                       ("jacket", "dress", "sneakers", "down jacket", "shirt", "jeans"), (
        ("耐克", "Nike", ("Air Force 1", "Dunk Low")),
        ("阿迪达斯", "Adidas", ("Samba", "Ultraboost")),
        ("优衣库", "Uniqlo", ("摇粒绒", "轻型羽绒服")),
        ("李宁", "Li-Ning", ("韦德之道", "赤兔6")),
    ), (20, 1500)),
    CategoryVocabulary("furniture", 7, ("书桌", "沙发", "衣柜", "电视柜", "床", "椅子", "鞋柜"),
                       ("desk", "sofa", "wardrobe", "TV stand", "bed", "chair"), (
        ("宜家", "IKEA", ("MALM", "KALLAX", "POÄNG", "BILLY")),
        ("全友", "Quanu", ("实木款", "北欧款")),
        ("顾家", "KUKA", ("布艺沙发", "真皮沙发")),
    ), (50, 5000)),
    CategoryVocabulary("baby-kids", 4, ("婴儿车", "儿童床", "安全座椅", "玩具", "童装"),
                       ("stroller", "crib", "car seat", "toy"), (
        ("好孩子", "Goodbaby", ("GB-A10", "口袋车")),
        ("乐高", "LEGO", ("得宝", "城市系列")),
        ("babycare", "babycare", ("婴儿床", "餐椅")),
    ), (20, 3000)),
    CategoryVocabulary("sports", 4, ("自行车", "跑步机", "哑铃", "羽毛球拍", "帐篷"),
                       ("bicycle", "treadmill", "dumbbells", "racket", "tent"), (
        ("捷安特", "Giant", ("ATX 660", "Escape 2")),
        ("迪卡侬", "Decathlon", ("RC120", "Quechua 2秒帐篷")),
        ("尤尼克斯", "Yonex", ("天斧88", "疾光800")),
    ), (30, 4000)),
    CategoryVocabulary("auto-parts", 6, ("刹车片", "起动机", "发电机", "水泵", "变速箱", "大灯"),
                       ("brake pads", "starter", "alternator", "water pump", "gearbox", "headlight"), (
        ("博世", "Bosch", ("0986AB", "0001107")),
        ("大众", "Volkswagen", ("朗逸", "速腾", "帕萨特")),
        ("本田", "Honda", ("雅阁", "思域")),
        ("丰田", "Toyota", ("卡罗拉", "凯美瑞")),
    ), (80, 6000), True),
    CategoryVocabulary("machinery", 3, ("液压泵", "发动机", "减速机", "轴承", "电机"),
                       ("hydraulic pump", "engine", "reducer", "bearing", "motor"), (
        ("玉柴", "Yuchai", ("YC6L", "YC4D")),
        ("柳工", "LiuGong", ("CLG856", "CLG922")),
        ("潍柴", "Weichai", ("WP10", "WD615")),
        ("三一", "SANY", ("SY215", "SY75")),
    ), (500, 80000), True),
    CategoryVocabulary("office-equipment", 5, ("打印机", "复印机", "投影仪", "办公椅", "碎纸机"),
                       ("printer", "copier", "projector", "office chair", "shredder"), (
        ("惠普", "HP", ("LaserJet M1136", "M227fdw")),
        ("佳能", "Canon", ("iR2206", "MF643Cdw")),
        ("爱普生", "Epson", ("L3218", "CB-X06")),
        ("理光", "Ricoh", ("MP2014", "IM C3000")),
    ), (100, 15000), True),
]

COLORS = ["黑色", "白色", "银色", "金色", "蓝色", "绿色", "紫色"]
STORAGE = [64, 128, 256, 512]
OE_PREFIXES = ["06H121026", "31200-RNA-A0", "04465-02", "8E0-615-301", "1K0-698-151", "28100-0T0", "4M40-", "6BT-"]


def isbn13(rng: random.Random) -> str:
    """A random ISBN-13 (978 prefix); its check digit is the EAN-13 one."""
    body = "978" + "".join(str(rng.randrange(10)) for _ in range(9))
    return body + ean.calc_check_digit(body)


class ListingMaker:
    """Listing fields from a seeded generator: title, description, attributes, price, place."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.city_weights = [city[4] for city in CITIES]
        self.category_weights = [category.weight for category in CATEGORIES]

    def category(self) -> CategoryVocabulary:
        return self.rng.choices(CATEGORIES, weights=self.category_weights)[0]

    def place(self) -> tuple[str, str, Decimal | None, Decimal | None]:
        name, _province, (lat, lon), districts, _weight = self.rng.choices(CITIES, weights=self.city_weights)[0]
        district = self.rng.choice(districts)
        if self.rng.random() < 0.05:
            return name, district, None, None  # a seller who gives no point
        # Rounded to 0.01 degree, as listings.services stores it (privacy).
        lat_value = Decimal(str(round(lat + self.rng.uniform(-0.12, 0.12), 2)))
        lon_value = Decimal(str(round(lon + self.rng.uniform(-0.12, 0.12), 2)))
        return name, district, lat_value, lon_value

    def price(self, vocabulary: CategoryVocabulary, kind: str) -> Decimal:
        low, high = vocabulary.price
        # Log-uniform: many cheap items, a few expensive ones, as on real second-hand markets.
        value = low * (high / low) ** self.rng.random()
        if kind != "second_hand":
            value *= 1.3
        if value >= 100:
            value = round(value / 10) * 10
        return Decimal(str(round(value, 0 if value >= 10 else 1))).quantize(Decimal("0.01"))

    def text(self, vocabulary: CategoryVocabulary, kind: str) -> tuple[str, str, dict]:
        rng = self.rng
        brand_zh, brand_en, models = rng.choice(vocabulary.brands)
        model = rng.choice(models)
        english = rng.random() < 0.2
        attributes = self.attributes(vocabulary, brand_zh if not english else brand_en, model)
        noun = rng.choice(vocabulary.nouns_en if english else vocabulary.nouns_zh)
        extras = []
        if vocabulary.slug in ("phones", "tablets"):
            extras.append(f"{attributes['storage_gb']}G" if not english else f"{attributes['storage_gb']}GB")
            if not english:
                extras.append(attributes["color"])
        if vocabulary.slug == "auto-parts":
            extras.append(f"OE {attributes['oe_number']}")
        if english:
            condition = rng.choice(CONDITION_EN)
            prefix = f"{rng.choice(REMAN_EN).title()} " if kind == "remanufactured" else ""
            title = f"{prefix}{brand_en} {model} {noun} {' '.join(extras)} {condition}"
            sentences = [
                f"{brand_en} {model}, {rng.choice(CONDITION_EN)}.",
                rng.choice(["Selling because I am moving.", "Upgraded to a new one.", "Rarely used."]),
                rng.choice(["Pickup in person preferred.", "Can ship at buyer's cost.", "Price slightly negotiable."]),
            ]
        else:
            condition = rng.choice(CONDITION_ZH)
            glue = "" if rng.random() < 0.5 else " "
            prefix = f"{rng.choice(REMAN_ZH)} " if kind == "remanufactured" else ""
            title = f"{prefix}{brand_zh}{glue}{model} {noun} {' '.join(extras)} {condition}"
            sentences = [
                f"{rng.choice(CONDITION_ZH)}，{rng.choice(CONDITION_ZH)}。",
                rng.choice(["因为搬家所以转让。", "换了新的，旧的出掉。", "买来没用几次。", "公司清仓处理。"]),
                f"{brand_zh}{model}{noun}，" + rng.choice(["功能一切正常。", "配件齐全，有发票。", "屏幕无划痕。"]),
                rng.choice(["同城可自提，外地包邮。", "可小刀，诚心要的联系。", "支持当面验货。"]),
            ]
        if kind == "remanufactured":
            sentences.append(rng.choice(["经再制造并检测合格，附质保卡。", "Remanufactured to original specification."]))
        description = " ".join(rng.sample(sentences, k=min(len(sentences), rng.randint(2, 4))))
        return " ".join(title.split())[:120], description, attributes

    def attributes(self, vocabulary: CategoryVocabulary, brand: str, model: str) -> dict:
        rng = self.rng
        slug = vocabulary.slug
        if slug in ("phones", "tablets"):
            return {"brand": brand, "model": model, "storage_gb": rng.choice(STORAGE), "color": rng.choice(COLORS)}
        if slug in ("laptops", "desktops"):
            return {"brand": brand, "model": model, "ram_gb": rng.choice([8, 16, 32]),
                    "storage_gb": rng.choice([256, 512, 1024])}
        if slug in ("large-appliances", "small-appliances"):
            return {"brand": brand, "model": model, "energy_grade": rng.randint(1, 5)}
        if slug in ("textbooks", "novels"):
            return {"isbn": isbn13(rng), "publisher": brand}
        if slug == "apparel":
            return {"size": rng.choice(["S", "M", "L", "XL", "42", "38.5"]), "brand": brand}
        if slug == "furniture":
            return {"brand": brand, "material": rng.choice(["实木", "板材", "布艺", "金属"])}
        if slug == "auto-parts":
            prefix = rng.choice(OE_PREFIXES)
            return {"oe_number": f"{prefix}{rng.randint(1, 99):02d}", "brand": brand, "fits_models": model}
        if slug == "machinery":
            return {"brand": brand, "model": model, "power_kw": rng.choice([5.5, 11, 37, 90, 220])}
        return {"brand": brand}
