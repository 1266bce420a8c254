"""Demo listings: residents, students and two organizations selling across every category.

Each listing gets a generated photo (no network), a self-assessment through grading.services
with answers picked from its category's standard, and is published through listings.lifecycle.
Idempotent: a listing is looked up by seller and title before it is created.
"""
import io
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from listings import lifecycle, services
from listings.models import Category, Listing, ListingState
from marketplace.errors import DomainError

# (city, district, latitude, longitude), already rounded to about 1 km
PLACES = {
    "天河": ("广州市", "天河区", "23.13", "113.33"),
    "海珠": ("广州市", "海珠区", "23.08", "113.32"),
    "番禺": ("广州市", "番禺区", "22.94", "113.38"),
    "南山": ("深圳市", "南山区", "22.53", "113.93"),
    "福田": ("深圳市", "福田区", "22.54", "114.05"),
    "禅城": ("佛山市", "禅城区", "23.02", "113.12"),
    "南城": ("东莞市", "南城街道", "23.01", "113.74"),
    "香洲": ("珠海市", "香洲区", "22.27", "113.57"),
    "青秀": ("南宁市", "青秀区", "22.82", "108.38"),
    "西乡塘": ("南宁市", "西乡塘区", "22.84", "108.30"),
    "秀峰": ("桂林市", "秀峰区", "25.28", "110.28"),
    "城中": ("柳州市", "城中区", "24.31", "109.41"),
    "海城": ("北海市", "海城区", "21.48", "109.12"),
}

# seller, category, kind, title, description, price, negotiable, hand-over, place, attributes, wear, quantity, end state
# seller: "r0".."r4" residents, "s0".."s2" students, "merchant"/"community" organization staff selling for it.
# wear: 0 = like new, 1 = light signs of use, 2 = clearly used (picks milder or harsher grading answers).
LISTINGS = [
    ("r0", "phones", "second_hand", "iPhone 13 128G 午夜色 九成新", "自用一年半，一直带壳贴膜，电池健康 88%，无拆无修。已退出 ID 并恢复出厂设置。可小刀。",
     "2650", True, ["pickup", "delivery"], "天河", {"brand": "Apple", "model": "iPhone 13", "storage_gb": 128, "color": "午夜色", "imei_last4": "4821"}, 1, 1, "active"),
    ("r1", "phones", "second_hand", "华为 Mate 40 Pro 8+256 亮黑", "换新机出，屏幕完美，边框有轻微使用痕迹，配原装充电器。", "2300", True, ["pickup"], "南山",
     {"brand": "华为", "model": "Mate 40 Pro", "storage_gb": 256, "color": "亮黑色", "imei_last4": "0937"}, 1, 1, "reserved"),
    ("r4", "phones", "second_hand", "Xiaomi 13 12+256 white, like new", "Bought last year, always in a case. Factory reset, box and charger included.",
     "2100", False, ["pickup", "delivery"], "福田", {"brand": "Xiaomi", "model": "13", "storage_gb": 256, "color": "white", "imei_last4": "7719"}, 0, 1, "active"),
    ("r2", "tablets", "second_hand", "iPad 第九代 64G WiFi 版 带笔", "孩子上网课用，现在用不上了，屏幕无划痕，送保护套和电容笔。", "1350", True,
     ["pickup", "delivery"], "青秀", {"brand": "Apple", "model": "iPad 9", "storage_gb": 64, "color": "深空灰"}, 0, 1, "active"),
    ("r3", "laptops", "second_hand", "ThinkPad X1 Carbon 2021 i7 16G 512G", "公司换新电脑淘汰下来的，已重装系统并清除数据，键盘有使用痕迹。", "3800", True,
     ["pickup", "delivery"], "秀峰", {"brand": "Lenovo", "model": "ThinkPad X1 Carbon Gen 9", "cpu": "i7-1165G7", "ram_gb": 16, "storage_gb": 512, "screen_inch": 14}, 1, 1, "active"),
    ("r4", "laptops", "second_hand", "MacBook Air M1 8G/256G silver", "Moving back home, selling my MacBook. Battery cycle count 210, no dents.", "4200", True,
     ["pickup"], "福田", {"brand": "Apple", "model": "MacBook Air M1", "cpu": "Apple M1", "ram_gb": 8, "storage_gb": 256, "screen_inch": 13.3}, 0, 1, "sold"),
    ("r1", "desktops", "second_hand", "自组台式机 R5 5600 + RTX3060 游戏主机", "搬家转让，配置 R5 5600 / 16G / 1T SSD，玩游戏很流畅，只限自提。", "3300", True,
     ["pickup"], "南山", {"brand": "DIY", "model": "R5 5600 + RTX3060", "cpu": "Ryzen 5 5600", "ram_gb": 16, "storage_gb": 1024}, 1, 1, "active"),
    ("merchant", "large-appliances", "refurbished", "美的 1.5 匹变频空调 翻新机 包安装", "店铺回收后清洗翻新，更换电容与滤网，试机正常，广深地区包安装，保修三个月。",
     "1180", False, ["delivery"], "福田", {"brand": "美的", "model": "KFR-35GW/N8XHC1", "energy_grade": 1, "year_of_manufacture": 2021}, 1, 6, "active"),
    ("merchant", "large-appliances", "refurbished", "海尔 10 公斤滚筒洗衣机 翻新", "内筒拆洗消毒，更换门封圈，运行安静，送货上门。", "1350", False, ["delivery"], "福田",
     {"brand": "海尔", "model": "EG100MATE2S", "energy_grade": 1, "year_of_manufacture": 2020}, 1, 3, "active"),
    ("r0", "small-appliances", "second_hand", "戴森 V10 吸尘器 自用", "用了两年，吸力正常，电池续航约 30 分钟，配件齐全。", "1200", True, ["pickup", "delivery"], "天河",
     {"brand": "Dyson", "model": "V10"}, 1, 1, "active"),
    ("r2", "small-appliances", "second_hand", "九阳豆浆机 九成新", "买来用过几次，功能正常，搬家转让。", "90", False, ["pickup"], "西乡塘",
     {"brand": "九阳", "model": "DJ13B-D08D"}, 0, 1, "active"),
    ("merchant", "office-equipment", "refurbished", "惠普激光打印机 M202dw 翻新 带无线", "换新硒鼓，打印清晰，支持双面与无线打印，适合小办公室。", "680", False,
     ["pickup", "delivery"], "福田", {"brand": "HP", "model": "LaserJet Pro M202dw"}, 1, 4, "active"),
    ("merchant", "office-equipment", "second_hand", "二手人体工学办公椅 批量", "写字楼退租回收，网面完好，气杆正常，量大可议。", "260", True, ["pickup", "delivery"], "福田",
     {"brand": "西昊", "model": "M57"}, 1, 12, "active"),
    ("s0", "textbooks", "second_hand", "高等数学 第七版 上册 同济大学", "大一用过，有少量笔记，不影响阅读。南宁三中校门口可面交。", "18", False, ["pickup", "at_event"], "青秀",
     {"isbn": "9787040396638", "author": "同济大学数学系", "publisher": "高等教育出版社", "edition": "第七版", "subject": "数学"}, 1, 1, "active"),
    ("s0", "textbooks", "second_hand", "线性代数 第六版 同济", "几乎全新，只写了名字。", "12", False, ["pickup", "at_event"], "青秀",
     {"isbn": "9787040396621", "author": "同济大学数学系", "publisher": "高等教育出版社", "edition": "第六版", "subject": "数学"}, 0, 1, "sold"),
    ("s1", "textbooks", "second_hand", "新概念英语 第二册", "初中用过，书皮有折痕，附磁带。", "10", True, ["at_event"], "青秀",
     {"isbn": "9787560013473", "author": "L. G. Alexander", "publisher": "外语教学与研究出版社", "subject": "英语"}, 2, 1, "active"),
    ("s2", "textbooks", "second_hand", "五年高考三年模拟 物理 2024", "刷了一半，后面全新，适合高三复习。", "15", True, ["pickup", "at_event"], "青秀",
     {"isbn": "9787504189509", "publisher": "首都师范大学出版社", "subject": "物理", "school_level": "高中"}, 1, 1, "active"),
    ("r3", "novels", "second_hand", "三体 全三册 刘慈欣", "看完一遍，品相很好，无笔记。", "45", False, ["pickup", "delivery"], "秀峰",
     {"isbn": "9787536692930", "author": "刘慈欣", "publisher": "重庆出版社"}, 0, 1, "active"),
    ("r1", "novels", "second_hand", "余华《活着》 作家出版社", "书脊有点旧，内页干净。", "12", False, ["pickup"], "南山",
     {"isbn": "9787506365437", "author": "余华", "publisher": "作家出版社"}, 2, 1, "active"),
    ("r4", "novels", "second_hand", "Harry Potter box set (English, paperback)", "All 7 books, read once. Some shelf wear on the box.", "260", True,
     ["pickup", "delivery"], "福田", {"author": "J. K. Rowling", "publisher": "Bloomsbury"}, 1, 1, "active"),
    ("r0", "apparel", "second_hand", "优衣库羽绒服 女款 M 码", "南方用不上几次，几乎全新，已干洗。", "150", True, ["delivery"], "天河",
     {"size": "M", "brand": "优衣库", "gender": "women", "material": "羽绒"}, 0, 1, "active"),
    ("r2", "apparel", "second_hand", "安踏跑鞋 42 码", "跑了不到 100 公里，鞋底磨损很少。", "120", True, ["pickup"], "西乡塘",
     {"size": "42", "brand": "安踏", "gender": "men"}, 1, 1, "active"),
    ("s1", "apparel", "second_hand", "南宁三中校服 170/88A 一套", "毕业了转给学弟学妹，洗干净了。", "40", False, ["at_event"], "青秀",
     {"size": "170/88A", "gender": "unisex"}, 1, 1, "active"),
    ("community", "furniture", "second_hand", "实木书桌 1.2 米 社区旧物回收", "居民捐赠，社区志愿者检查过，桌面有轻微划痕，结实耐用。", "120", False, ["pickup"], "天河",
     {"material": "实木", "width_cm": 120, "depth_cm": 60, "height_cm": 75}, 2, 1, "active"),
    ("r1", "furniture", "second_hand", "宜家 KALLAX 格子柜 4x2", "搬家转让，需自己拆装，白色无破损。", "200", True, ["pickup"], "南山",
     {"brand": "IKEA", "material": "刨花板", "width_cm": 147, "depth_cm": 39, "height_cm": 77}, 1, 1, "reserved"),
    ("r3", "furniture", "second_hand", "布艺三人沙发 可拆洗", "用了三年，坐垫略塌，外套刚洗过，桂林市区可帮忙送。", "600", True, ["pickup", "delivery"], "秀峰",
     {"material": "布艺", "width_cm": 210, "depth_cm": 90, "height_cm": 85}, 2, 1, "active"),
    ("community", "baby-kids", "second_hand", "婴儿推车 好孩子 可坐可躺", "社区妈妈群转让，功能正常，已消毒清洗。", "180", False, ["pickup"], "天河",
     {"brand": "好孩子", "age_range": "0-3 岁"}, 1, 1, "active"),
    ("r0", "baby-kids", "second_hand", "乐高得宝大颗粒积木 约 120 块", "孩子长大了，积木齐全，已清洗。", "160", True, ["pickup", "delivery"], "海珠",
     {"brand": "LEGO", "age_range": "1.5-5 岁"}, 1, 1, "active"),
    ("r2", "sports", "second_hand", "捷安特山地车 ATX 27.5 寸", "骑了一年，变速正常，刚换刹车片。", "1100", True, ["pickup"], "青秀",
     {"brand": "捷安特", "size": "M"}, 1, 1, "active"),
    ("r4", "sports", "second_hand", "Yonex badminton racket Astrox 88D", "Restrung last month at 26 lbs. Minor scuffs on the frame.", "480", False,
     ["pickup", "at_event"], "福田", {"brand": "Yonex", "size": "4U"}, 1, 1, "active"),
    ("r3", "auto-parts", "second_hand", "大众原厂水泵 06H 121 026 DD 拆车件", "迈腾拆车件，测试无渗漏，适用 EA888 发动机。", "260", True, ["delivery"], "城中",
     {"oe_number": "06H 121 026 DD", "brand": "Volkswagen", "fits_models": "迈腾 B7L / CC 1.8T 2.0T"}, 1, 1, "active"),
    ("r1", "auto-parts", "second_hand", "丰田凯美瑞 原厂前大灯 左 81150-06D10", "事故车拆下，灯壳完好无裂纹，支架完整。", "680", True, ["delivery"], "南城",
     {"oe_number": "81150-06D10", "brand": "Toyota", "fits_models": "凯美瑞 2018-2021"}, 1, 1, "active"),
    ("merchant", "machinery", "second_hand", "二手台钻 西湖 Z4116", "工厂搬迁转让，运转正常，带台钳。", "850", True, ["pickup"], "禅城",
     {"brand": "西湖", "model": "Z4116", "power_kw": 0.55}, 2, 2, "active"),
    ("r2", "machinery", "second_hand", "挖掘机液压泵 川崎 K3V112DT 拆机件", "北海工地退场设备拆下，试压正常，需专业安装。", "9800", True, ["delivery"], "海城",
     {"brand": "Kawasaki", "model": "K3V112DT", "part_number": "K3V112DT-1E42"}, 2, 1, "active"),
    ("r0", "computers", "second_hand", "显示器 戴尔 U2720Q 27 寸 4K", "屏幕无坏点，附原装 Type-C 线。", "1900", True, ["pickup"], "天河",
     {"brand": "Dell", "model": "U2720Q", "screen_inch": 27}, 0, 1, "active"),
    ("merchant", "small-appliances", "second_hand", "格力电风扇 落地扇 批量清仓", "仓库清仓，台台试机，量大优惠。", "85", True, ["pickup", "delivery"], "香洲",
     {"brand": "格力", "model": "FD-40X61h5"}, 1, 20, "draft"),
]

CATEGORY_COLOURS = {
    "phones-tablets": (52, 120, 246), "computers": (60, 70, 90), "home-appliances": (0, 150, 136),
    "books": (205, 133, 63), "apparel": (233, 30, 99), "furniture": (121, 85, 72), "baby-kids": (255, 183, 77),
    "sports": (76, 175, 80), "auto-parts": (96, 125, 139), "machinery": (255, 112, 67), "office-equipment": (126, 87, 194),
}


def _photo(root_slug, title):
    """A coloured card with a few shapes, different for every title: a stand-in for a real photo."""
    rng = random.Random(title)
    base = CATEGORY_COLOURS.get(root_slug, (120, 120, 120))
    image = Image.new("RGB", (640, 480), base)
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.randrange(0, 600), rng.randrange(0, 440)
        w, h = rng.randrange(30, 220), rng.randrange(30, 160)
        shade = tuple(min(255, max(0, c + rng.randrange(-90, 90))) for c in base)
        if rng.random() < 0.5:
            draw.rectangle([x, y, x + w, y + h], fill=shade)
        else:
            draw.ellipse([x, y, x + w, y + h], fill=shade)
    draw.rectangle([30, 410, 610, 460], fill=(255, 255, 255))
    draw.text((45, 425), root_slug.upper(), fill=base)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def _root(category):
    while category.parent_id is not None:
        category = category.parent
    return category


def pick_answers(standard, wear: int) -> dict:
    """Answers to every self-assessed criterion of `standard`: the mildest answer that keeps the item
    sellable, one step harsher per `wear` level where the criterion offers steps."""
    ranks = {level.code: level.rank for level in standard.levels.all()}
    unsellable = {level.code for level in standard.levels.all() if not level.sellable}

    def severity(outcome):
        cap = (outcome or {}).get("cap")
        return -1 if not cap else ranks.get(cap, 99)

    def allowed(outcome):
        return (outcome or {}).get("cap") not in unsellable

    answers = {}
    for criterion in standard.criteria.all():
        if criterion.inspection_only:
            continue
        rules = criterion.rules or {}
        if criterion.answer_type == "boolean":
            options = sorted((severity(rules.get(str(v).lower())), v) for v in (True, False) if allowed(rules.get(str(v).lower())))
            answers[criterion.key] = options[0][1]
        elif criterion.answer_type == "choice":
            options = sorted((o for o in rules.get("options", []) if allowed(o)), key=severity)
            steps = sorted({severity(o) for o in options})
            target = steps[min(wear, len(steps) - 1)]
            answers[criterion.key] = next(o["value"] for o in options if severity(o) == target)
        elif criterion.answer_type == "number":
            bands = sorted((b for b in rules.get("bands", []) if allowed(b)), key=lambda b: -b["below"])
            top = rules.get("max", 100)
            value = top if wear == 0 or not bands else bands[min(wear, len(bands)) - 1]["below"] - 1
            answers[criterion.key] = int(value) if rules.get("integer") else value
    return answers


def _seller(world, key):
    if key in ("merchant", "community"):
        return world["org_staff"][key], world["orgs"][key]
    group = world["residents"] if key.startswith("r") else world["students"]
    return group[int(key[1:])], None


def _finish(listing, actor, end_state):
    """Walk a published listing on to where the demo wants it (reserved, sold)."""
    if end_state in ("reserved", "sold") and listing.state == ListingState.ACTIVE:
        listing = lifecycle.reserve(listing, actor=actor, reason="买家已约好看货")
    if end_state == "sold" and listing.state == ListingState.RESERVED:
        listing = lifecycle.mark_sold(listing, actor=actor, reason="已当面交易")
    return listing


def load(world):
    from grading.selectors import standard_for_category
    from grading.services import self_assess

    refused = []
    for row in LISTINGS:
        (seller_key, slug, kind, title, description, price, negotiable, handover, place, attributes, wear,
         quantity, end_state) = row
        seller, organization = _seller(world, seller_key)
        category = Category.objects.get(slug=slug)
        city, district, latitude, longitude = PLACES[place]
        listing = Listing.objects.filter(seller=seller, title=title).first()
        if listing is None:
            listing = services.create_listing(
                actor=seller, organization=organization, category=category, kind=kind, title=title,
                description=description, price=Decimal(price), negotiable=negotiable, quantity=quantity,
                handover_options=handover, city=city, district=district, latitude=Decimal(latitude),
                longitude=Decimal(longitude), attributes=attributes,
            )
        if listing.state != ListingState.DRAFT:
            continue
        if not listing.photos.exists():
            services.add_photo(listing, actor=seller, uploaded_file=_photo(_root(category).slug, title))
        if not listing.grade_code:
            self_assess(listing, actor=seller, answers=pick_answers(standard_for_category(category), wear))
        if end_state == "draft":
            continue
        try:
            listing = lifecycle.publish(listing, actor=seller)
        except DomainError as refusal:
            # Another app's publish rule said no (e.g. a missing data-erasure record): leave it a draft.
            refused.append(f"{title}: {refusal.message}")
            continue
        _finish(listing, seller, end_state)
    counts = {state: Listing.objects.filter(state=state).count() for state in ListingState.values}
    summary = ", ".join(f"{count} {state}" for state, count in counts.items() if count)
    if refused:
        summary += "; left as drafts: " + " | ".join(refused)
    return f"{len(LISTINGS)} demo listings ({summary})"
