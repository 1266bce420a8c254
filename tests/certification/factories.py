"""Factories and builders for the certification tests. Listings come from the listings factories
(`ListingFactory(remanufactured=True, ...)` for a remanufacturer's alternator)."""
import io
from datetime import date, timedelta

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import OrganizationKind
from certification import services
from certification.models import TraceEventKind
from listings import services as listing_services
from tests.factories import OrganizationFactory
from tests.listings.factories import category


class CertificationBodyFactory(OrganizationFactory):
    kind = OrganizationKind.CERTIFICATION_BODY
    name = factory.Sequence(lambda n: f"认证机构{n}")


class RemanufacturerFactory(OrganizationFactory):
    kind = OrganizationKind.REMANUFACTURER
    name = factory.Sequence(lambda n: f"再制造企业{n}")


def add_photo(listing):
    """A photo through the listings pipeline, so that the publish check for photos passes."""
    buffer = io.BytesIO()
    Image.effect_noise((48, 48), 80).convert("RGB").save(buffer, format="PNG")
    upload = SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")
    return listing_services.add_photo(listing, actor=listing.seller, uploaded_file=upload)


def issue(body_admin, body, holder, *, categories=("auto-parts",), valid_days=365, **extra):
    today = timezone.localdate()
    fields = {
        "standard": "GB/T 28618-2012",
        "scope_zh": "汽车发电机、起动机再制造",
        "scope_en": "Remanufactured alternators and starters",
        "issued_on": today - timedelta(days=30),
        "valid_until": today + timedelta(days=valid_days),
        "categories": [category(slug) for slug in categories],
    }
    fields.update(extra)
    return services.issue_certificate(actor=body_admin, issuer=body, holder=holder, **fields)


FULL_CHAIN = [
    (TraceEventKind.CORE_INTAKE, {"source": "持证报废机动车回收拆解企业", "condition": "外壳完好，轴承磨损"}),
    (TraceEventKind.DISASSEMBLY, {"summary": "全部拆解"}),
    (TraceEventKind.CLEANING, {"method": "超声波清洗"}),
    (TraceEventKind.PART_REPLACEMENT, {"parts": [{"name": "轴承", "part_number": "6203", "origin": "new"}]}),
    (TraceEventKind.FINAL_TEST, {"result": "pass", "measurements": {"output_a": 90, "voltage_v": 14.2}}),
]


def make_unit(member, manufacturer, *, certificate=None, events=FULL_CHAIN, slug="auto-parts"):
    unit = services.create_unit(
        actor=member, manufacturer=manufacturer, category=category(slug), product_name="再制造发电机",
        part_number="JFZ1913", batch="B2026-01", remanufactured_on=date.today() - timedelta(days=3),
        serial_number="SN-INTERNAL-001", certificate=certificate,
    )
    start = timezone.now() - timedelta(days=10)
    for offset, (kind, data) in enumerate(events):
        services.append_trace_event(
            unit, actor=member, kind=kind, occurred_at=start + timedelta(hours=offset), data=data, note="内部备注"
        )
    unit.refresh_from_db()
    return unit
