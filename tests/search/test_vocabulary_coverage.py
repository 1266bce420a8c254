"""The product vocabulary's coverage of the market (search/vocabulary.txt, synonyms.txt), pinned
through the public reading functions: a listing is found by a query when every query group shares a
term with what the listing's title says (its words, identifiers) or is (its concepts, the broader
kinds included), as every backend matches them."""
import pytest

from search.analysis import analyse_listing, query_groups


def listing_terms(title: str, body: str = "") -> set[str]:
    reading = analyse_listing(title, body)
    return {*reading.title_terms, *reading.identifiers, *reading.concepts}


def finds(query: str, title: str) -> bool:
    terms = listing_terms(title)
    groups = query_groups(query)
    return bool(groups) and all(terms & set(group) for group in groups)


@pytest.mark.parametrize(("query", "title"), [
    # Cantonese and colloquial words find the standard word and back.
    ("冰箱", "容声雪柜 218升 两门"),
    ("雪柜", "海尔 双门冰箱 风冷"),
    ("除湿机", "松下 抽湿机 家用"),
    ("沙发", "三人位 梳化 布艺"),
    ("挖掘机", "小松 勾机 200"),
    ("洗衣机", "小天鹅 洗衫机 8公斤"),
    ("电饭煲", "美的 饭煲 4L"),
    ("床垫", "1.8米 床褥 乳胶"),
    ("空调", "格力 1.5匹 挂机 新一级"),
    ("婴儿车", "嬰兒手推車 輕便 可平躺"),
    ("无人机", "大疆 航拍器 带两块电池"),
    ("电子书阅读器", "掌阅 墨水屏 7寸"),
])
def test_a_colloquial_or_cantonese_word_finds_the_standard_one(query, title):
    assert finds(query, title)


@pytest.mark.parametrize(("query", "title"), [
    ("灯", "床头壁灯 一对 暖光"),
    ("灯", "直播补光灯 环形灯"),
    ("柜子", "恒温酒柜 18瓶"),
    ("柜子", "简易布衣柜 钢管加粗"),
    ("书架", "实木书柜 带玻璃门"),
    ("椅子", "露营 月亮椅 两把"),
    ("桌子", "乐歌 电动升降桌 1.4米"),
    ("书桌", "儿童学习桌 可升降"),
    ("鞋", "迪卡侬 登山鞋 防水"),
    ("包", "腰包 跑步 防水"),
    ("耳机", "韶音 骨传导耳机 运动"),
    ("音箱", "索尼 回音壁 HT-S400"),
    ("泵", "齿轮泵 CBN-E316"),
    ("液压泵", "齿轮泵 液压 全新库存"),
    ("液压", "再制造 液压油缸 斗杆缸"),
    ("跑步机", "小米 走步机 可折叠"),
    ("复印机", "京瓷 黑白数码复合机"),
    ("打印机", "兄弟 彩色喷墨 连供"),
    ("车", "捷安特 山地车 27速"),
    ("童车", "好孩子 婴儿推车 轻便"),
    ("健身器材", "家用 划船机 静音"),
    ("农机", "东方红 拖拉机 504"),
    ("车", "电动三轮车 载货 带棚"),
    ("安全座椅", "宝得适 儿童座椅 ISOFIX"),
])
def test_a_generic_word_reaches_every_kind_of_it(query, title):
    assert finds(query, title)


@pytest.mark.parametrize(("query", "title"), [
    ("soundbar", "索尼 回音壁 2.1声道"),
    ("dehumidifier", "松下 抽湿机 家用"),
    ("treadmill", "小米 走步机 WalkingPad"),
    ("copier", "佳能 复合机 复印扫描一体"),
    ("gear pump", "齿轮泵 液压"),
    ("hiking shoes", "登山鞋 42码"),
    ("wall lamp", "床头壁灯 实木"),
    ("stroller", "遛娃神器 可上飞机"),
    ("excavator", "三一 勾机 小挖"),
    ("rowing machine", "划船机 家用"),
    ("fridge", "车载冰箱 12V"),
    ("壁灯", "wall lamp, brass"),
    ("当贝", "Dangbei D5X projector"),
    ("柳工", "LiuGong wheel loader"),
])
def test_an_english_word_finds_the_chinese_one_and_back(query, title):
    assert finds(query, title)


@pytest.mark.parametrize("title", [
    "飞利浦电动牙刷刷头 原装 4支",
    "电饭煲内胆 4L 通用",
    "洗衣机底座 万向轮",
    "婴儿床铃 旋转音乐",
    "婴儿床围 纯棉 防撞",
    "笔记本散热器 静音",
    "惠普打印机硒鼓 26A",
    "自行车头盔 L码",
    "空气炸锅吸油纸 100张",
    "沙发套 弹力全包",
])
def test_accessories_are_accessories(title):
    assert analyse_listing(title, "").accessory


@pytest.mark.parametrize(("query", "title"), [
    ("电动牙刷", "飞利浦电动牙刷刷头 原装"),   # a replacement head is no toothbrush
    ("洗衣机", "洗衣机底座 万向轮"),           # nor a washer base a washing machine
    ("自行车", "自行车头盔 骑行"),
    ("音箱", "柴油发电机组 30kW 静音箱"),      # a generator's silent canopy is no speaker
    ("架子", "篮球架 儿童 可升降"),           # a basketball hoop is no shelf
    ("架子", "猫爬架 大型"),
    ("柜子", "配电柜 三相"),
    ("柜子", "格力 3匹 立式柜机"),           # an air conditioner, not a cabinet
    ("书架", "漫步者 书架音箱 蓝牙"),          # a bookshelf speaker is no bookshelf
    ("手机", "华为MatePad 11 平板"),
    ("墨盒", "Kindle Paperwhite 5 8G 墨水屏"),        # an e-ink screen is no ink
])
def test_a_modifier_or_lookalike_does_not_find_another_product(query, title):
    assert not finds(query, title)
