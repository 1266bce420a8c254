"""Demo events: an upcoming community flea market with stalls, bookings and listings at stalls,
and a campus book share day with a stocked sharing corner and wishlists that form a swap ring.

Everything goes through the services (audit records included). Idempotent: events are looked up
by organization and Chinese title, corners by school and name, and nothing is added twice.
"""
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from events import attendance, bookings, books, services, swaps
from events.listings_at_events import attach_listing
from events.models import (
    BookCopy,
    Event,
    EventKind,
    EventListing,
    EventState,
    SharingCorner,
    StallBooking,
    SwapOffer,
)
from listings.models import Category, Listing, ListingState

MARKET_TITLE = "天河南街道周末跳蚤市场"
SHARE_DAY_TITLE = "南宁三中旧书分享日"
CORNER_NAME = "图书馆旧书角"

# Books of the demo, with real ISBNs: (isbn, title, author, subject, school grade)
BOOKS = {
    "math": ("9787040396638", "高等数学 第七版 上册", "同济大学数学系", "数学", "高三"),
    "linear": ("9787040396621", "线性代数 第六版", "同济大学数学系", "数学", "高三"),
    "physics": ("9787504189509", "五年高考三年模拟 物理", "曲一线", "物理", "高三"),
    "english": ("9787560013473", "新概念英语 第二册", "L. G. Alexander", "英语", "初二"),
    "three_body": ("9787536692930", "三体", "刘慈欣", "课外阅读", ""),
    "to_live": ("9787506365437", "活着", "余华", "课外阅读", ""),
    "red_chamber": ("9787020002207", "红楼梦", "曹雪芹", "语文", "高一"),
    "solitude": ("9787544253994", "百年孤独", "加西亚·马尔克斯", "课外阅读", ""),
    "fortress": ("9787020024759", "围城", "钱锺书", "课外阅读", ""),
}


def _next_saturday(days_ahead_at_least: int, hour: int):
    zone = ZoneInfo(settings.TIME_ZONE)
    day = timezone.localdate(timezone=zone) + timedelta(days=days_ahead_at_least)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=zone)


def _book(key, **extra):
    isbn, title, author, subject, school_grade = BOOKS[key]
    return {"isbn": isbn, "title": title, "author": author, "subject": subject, "school_grade": school_grade, **extra}


def _flea_market(world) -> str:
    community = world["orgs"]["community"]
    organizer = world["org_staff"]["community"]
    event = Event.objects.filter(organization=community, title_zh=MARKET_TITLE).first()
    if event is None:
        starts = _next_saturday(7, 9)
        event = services.create_event(
            actor=organizer, organization=community, kind=EventKind.FLEA_MARKET, title_zh=MARKET_TITLE,
            title_en="Tianhe South weekend flea market",
            description_zh="街坊闲置好物面对面交易，书籍、家电、母婴用品、运动器材都欢迎。摊位免费，先到先得；请带好二维码入场。",
            description_en="Neighbours trade what they no longer need, face to face: books, appliances, baby things, "
                           "sports gear. Stalls are free, first come first served; bring your QR pass.",
            venue_address="广州市天河区天河南二路 天河南街道文化广场", latitude=Decimal("23.133700"),
            longitude=Decimal("113.330100"), time_zone=settings.TIME_ZONE, starts_at=starts,
            ends_at=starts + timedelta(hours=4), registration_closes_at=starts - timedelta(hours=12), capacity=300,
        )
        books_category = Category.objects.filter(slug="books").first()
        plan = [{"number": number, "size": "2 m × 2 m", "fee": Decimal("0"),
                 "category": books_category if number <= 3 else None,
                 "note": "书籍专区" if number <= 3 else ""} for number in range(1, 13)]
        services.set_stall_plan(event, actor=organizer, stalls=plan)
        event = services.publish_event(event, actor=organizer)
    residents = world["residents"]
    sellers = [
        (organizer, 1, ["实木书桌 1.2 米 社区旧物回收", "婴儿推车 好孩子 可坐可躺"]),
        (residents[0], 3, ["戴森 V10 吸尘器 自用", "乐高得宝大颗粒积木 约 120 块", "优衣库羽绒服 女款 M 码"]),
        (residents[4], 7, ["Yonex badminton racket Astrox 88D", "Harry Potter box set (English, paperback)"]),
    ]
    for seller, stall, titles in sellers:
        if not StallBooking.objects.filter(event=event, holder=seller).exists():
            bookings.request_stall(event, actor=seller, stall_number=stall, note="闲置好物")
        for title in titles:
            listing = Listing.objects.filter(title=title, state__in=[ListingState.ACTIVE, ListingState.RESERVED]).first()
            if listing is not None and not EventListing.objects.filter(event=event, listing=listing).exists():
                attach_listing(event, actor=seller, listing_id=listing.pk)
    for visitor in (residents[1], residents[3]):
        if not event.rsvps.filter(user=visitor).exists():
            attendance.rsvp(event, actor=visitor)
    booked = StallBooking.objects.filter(event=event, status="confirmed").count()
    return (f"flea market “{MARKET_TITLE}” ({event.stalls.count()} stalls, {booked} booked, "
            f"{EventListing.objects.filter(event=event).count()} listings at stalls)")


def _corner(world):
    school = world["orgs"]["school"]
    keeper = world["org_staff"]["school"]  # the teacher who owns the school's account
    corner = SharingCorner.objects.filter(organization=school, name_zh=CORNER_NAME).first()
    if corner is None:
        corner = books.create_corner(
            actor=keeper, organization=school, name_zh=CORNER_NAME, name_en="Library book corner",
            place_zh="图书馆一楼东侧书架", place_en="Library, ground floor, east shelves",
            opening_hours=[{"days": [1, 2, 3, 4, 5], "opens": "12:00", "closes": "13:30"},
                           {"days": [6], "opens": "09:00", "closes": "11:00"}],
        )
    if not BookCopy.objects.filter(corner=corner).exists():
        students = world["students"]
        deposits = [(students[0], "math", "VG"), (students[1], "linear", "G"), (students[2], "physics", "FR"),
                    (keeper, "fortress", "F"), (students[0], "english", "G")]
        shelf = [books.deposit_book(corner, actor=keeper, giver=giver, grade=grade, **_book(key))
                 for giver, key, grade in deposits]
        books.take_book(shelf[2], actor=students[1])  # 蒙嘉怡 spends 1 of her 2 credits on the physics book
    return corner


def _share_day(world, corner) -> str:
    school = world["orgs"]["school"]
    teacher = world["org_staff"]["school"]
    event = Event.objects.filter(organization=school, title_zh=SHARE_DAY_TITLE).first()
    if event is None:
        starts = _next_saturday(10, 9)
        event = services.create_event(
            actor=teacher, organization=school, kind=EventKind.BOOK_SWAP, title_zh=SHARE_DAY_TITLE,
            title_en="No. 3 Middle School book share day",
            description_zh="带上读完的书，换回想读的书：登记你愿意交换的书和想要的书，系统会撮合两两交换和多人交换环。",
            description_en="Bring the books you have read and take home the ones you want: list what you offer and "
                           "what you wish for; the matching proposes pairs and swap rings.",
            venue_address="南宁市青秀区青山路5号 南宁市第三中学图书馆", latitude=Decimal("22.817000"),
            longitude=Decimal("108.383000"), time_zone=settings.TIME_ZONE, starts_at=starts,
            ends_at=starts + timedelta(hours=3), corner=corner,
        )
        event = services.publish_event(event, actor=teacher)
    if not SwapOffer.objects.filter(event=event).exists():
        a, b, c = world["students"]
        d = teacher
        # A 4-ring a -> b -> c -> d -> a, and a pair a <-> b across it: pairs alone move 2 books, the ring 4.
        for member, offered, wanted in [(a, ["three_body"], ["english", "solitude"]), (b, ["to_live", "solitude"], ["three_body"]),
                                        (c, ["red_chamber"], ["to_live"]), (d, ["english"], ["red_chamber"])]:
            for key in offered:
                swaps.add_offer(event, actor=member, grade="VG", **_book(key))
            for key in wanted:
                swaps.add_want(event, actor=member, **_book(key))
    run = event.matching_runs.first()
    if run is None and event.state == EventState.PUBLISHED:
        run = swaps.run_matching(event, actor=teacher)
    moved = f"rings move {run.books_moved} books, pairs alone {run.books_moved_pairs_only}" if run else "not matched"
    return f"share day “{SHARE_DAY_TITLE}” ({event.swap_offers.count()} offers, {event.swap_wants.count()} wishes; {moved})"


def load(world):
    market = _flea_market(world)
    corner = _corner(world)
    day = _share_day(world, corner)
    stock = corner.copies.filter(status="in_stock").count()
    return f"{market}; corner “{CORNER_NAME}” with {stock} books on the shelf; {day}"
