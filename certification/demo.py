"""Demo: a certified remanufacturer with traced units, published remanufactured listings and a label.

Uses world["orgs"]["certification_body"], world["orgs"]["remanufacturer"] and their staff from the
accounts loader. Everything is created through the services (certificates, units, trace events,
listings, photos, grading, publishing), looked up by natural keys first, so running it again adds
nothing.
"""
import io
import zlib
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from certification import services
from certification.models import Certificate, CertificateType, ListingCertification, RemanufacturedUnit
from grading import services as grading_services
from listings import lifecycle
from listings import services as listing_services
from listings.models import Category, Listing, ListingKind, ListingState

CERTIFICATES = [
    # key, type, category slugs, brand, model range, standard, scope zh, scope en, years valid
    ("auto", CertificateType.PRODUCT, ["auto-parts", "machinery"], "", "发电机、起动机、变速箱",
     "GB/T 28618-2012", "汽车发电机、起动机及工程机械变速箱再制造", "Remanufactured alternators, starters and "
     "construction-machinery gearboxes", 3),
    ("office", CertificateType.PRODUCT, ["office-equipment"], "", "A3 数码复印机",
     "GB/T 36538-2018", "静电复印机再制造", "Remanufactured electrostatic copiers", 3),
    ("qms", CertificateType.QMS, [], "", "", "GB/T 19001-2016 / ISO 9001:2015",
     "汽车零部件再制造的质量管理体系", "Quality management system for auto-part remanufacturing", 3),
]

LISTINGS = [
    # certificate key, category slug, title, price, quantity, attributes, product, part number, grading answers
    ("auto", "auto-parts", "再制造发电机 博世 JFZ1913（适配大众朗逸）", "680.00", 2,
     {"oe_number": "06B903016AB", "brand": "博世", "fits_models": "大众朗逸 1.6L"}, "再制造发电机", "06B903016AB",
     {"trace_code": True, "origin": "remanufactured_marked", "performance_as_new": True, "warranty_as_new": True}),
    ("auto", "machinery", "再制造挖掘机液压泵 K3V112DT", "12800.00", 1,
     {"brand": "川崎", "model": "K3V112DT", "part_number": "K3V112DT-9C12"}, "再制造液压泵", "K3V112DT-9C12",
     {"prohibited_or_stolen": False, "usage": "used_no_marks", "function_fault": False, "repair_history": True,
      "accessories_complete": True}),
    ("office", "office-equipment", "再制造 A3 数码复印机 理光 MP 5054", "4200.00", 1,
     {"brand": "理光", "model": "MP 5054"}, "再制造复印机", "MP5054-R",
     {"prohibited_or_stolen": False, "usage": "light_wear", "function_fault": False, "repair_history": True,
      "accessories_complete": True}),
]


def _chain(part_number):
    return [
        ("core_intake", {"source": "广州市持证报废机动车回收拆解企业", "condition": "外观完好，需全面再制造"}),
        ("disassembly", {"summary": "整机拆解，零件逐一检测分类"}),
        ("cleaning", {"method": "高温除油 + 超声波清洗"}),
        ("part_replacement", {"parts": [{"name": "轴承", "part_number": "6203-2RS", "origin": "new"},
                                        {"name": "密封件", "part_number": "", "origin": "new"}]}),
        ("repair", {"description": "定子绝缘修复、壳体尺寸恢复", "parts": []}),
        ("final_test", {"result": "pass", "measurements": {"output_ratio": 1.0, "noise_db": 68},
                        "standard": "GB/T 28618-2012"}),
        ("warranty_start", {"months": 12}),
    ]


def _photo(title):
    image = Image.new("RGB", (640, 480), (232, 238, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 120, 520, 360), outline=(40, 90, 60), width=12)
    draw.ellipse((260, 180, 380, 300), fill=(40, 90, 60))
    draw.text((20, 20), f"demo {zlib.crc32(title.encode()):08x}", fill=(40, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return SimpleUploadedFile("demo.jpg", buffer.getvalue(), content_type="image/jpeg")


def _certificate(body, body_staff, reman, row):
    key, type_, slugs, brand, model_range, standard, scope_zh, scope_en, years = row
    existing = Certificate.objects.filter(issuer=body, holder=reman, type=type_, standard=standard).first()
    if existing:
        return existing
    today = timezone.localdate()
    return services.issue_certificate(
        actor=body_staff, issuer=body, holder=reman, type=type_,
        categories=list(Category.objects.filter(slug__in=slugs)), brand=brand, model_range=model_range,
        standard=standard, scope_zh=scope_zh, scope_en=scope_en, issued_on=today - timedelta(days=90),
        valid_until=today + timedelta(days=365 * years),
    )


def _units(listing, certificate, reman, staff, product_name, part_number, quantity):
    units = list(RemanufacturedUnit.objects.filter(listing=listing))
    start = timezone.now() - timedelta(days=20)
    for index in range(len(units), quantity):
        unit = services.create_unit(
            actor=staff, manufacturer=reman, category=listing.category, certificate=certificate,
            product_name=product_name, part_number=part_number, batch=f"B{timezone.localdate():%Y%m}-{index + 1:02d}",
            remanufactured_on=timezone.localdate() - timedelta(days=10), serial_number=f"CORE-{listing.pk}-{index + 1}",
        )
        for step, (kind, data) in enumerate(_chain(part_number)):
            services.append_trace_event(unit, actor=staff, kind=kind, occurred_at=start + timedelta(days=step, hours=index),
                                        data=data, note="演示数据")
        units.append(unit)
    return units


def _listing(reman, staff, certificate, row):
    _key, slug, title, price, quantity, attributes, product_name, part_number, answers = row
    listing = Listing.objects.filter(organization=reman, title=title).first()
    if listing is None:
        listing = listing_services.create_listing(
            actor=staff, organization=reman, category=Category.objects.get(slug=slug), title=title,
            price=Decimal(price), city=reman.city or "广州市", district=reman.district, kind=ListingKind.REMANUFACTURED,
            quantity=quantity, attributes=attributes,
            description="经认证的再制造产品，每件附唯一追溯码，可扫码查验证书与再制造全过程。",
        )
    units = _units(listing, certificate, reman, staff, product_name, part_number, quantity)
    if not ListingCertification.objects.filter(listing=listing).exists():
        services.link_listing_certificate(
            listing, actor=staff, certificate=certificate, warranty_months=12,
            coverage_zh="主要部件一年保修，非人为损坏免费更换", coverage_en="One year on the main parts; free replacement "
            "for any defect not caused by misuse", unit_codes=[unit.trace_code for unit in units],
        )
    if listing.state == ListingState.DRAFT:
        if not listing.photos.exists():
            listing_services.add_photo(listing, actor=staff, uploaded_file=_photo(title))
        if not listing.grade_code:
            grading_services.self_assess(listing, actor=staff, answers=answers)
        listing = lifecycle.publish(listing, actor=staff)
    return listing


def load(world):
    body = world["orgs"]["certification_body"]
    reman = world["orgs"]["remanufacturer"]
    body_staff = world["org_staff"]["certification_body"]
    reman_staff = world["org_staff"]["remanufacturer"]
    certificates = {row[0]: _certificate(body, body_staff, reman, row) for row in CERTIFICATES}
    listings = [_listing(reman, reman_staff, certificates[row[0]], row) for row in LISTINGS]
    world["certificates"] = certificates
    world["remanufactured_listings"] = listings
    first_unit = RemanufacturedUnit.objects.filter(listing=listings[0]).order_by("id").first()
    return (
        f"{len(certificates)} certificates, {RemanufacturedUnit.objects.filter(manufacturer=reman).count()} traced units, "
        f"{sum(listing.state == ListingState.ACTIVE for listing in listings)} active remanufactured listings; "
        f"try /verify/{first_unit.trace_code} and /api/v1/labels/{first_unit.trace_code}.png"
    )
