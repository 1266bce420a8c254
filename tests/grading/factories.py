"""Factories and answer sets for the grading tests. Listings come from the listings factories;
standards from the seed migration (grading/standards/*.json)."""
import factory
from factory.django import DjangoModelFactory

from accounts.models import OrganizationKind, VerificationStatus
from grading.models import GradingStandard, StandardStatus
from grading.selectors import with_scale
from tests.factories import OrganizationFactory
from tests.listings.factories import ListingFactory, category

# Which seeded category uses which standard.
CATEGORY_FOR_STANDARD = {
    "phone": "phones", "computer": "laptops", "book": "novels", "apparel": "apparel",
    "appliance": "large-appliances", "furniture": "furniture", "auto-part": "auto-parts", "general": "sports",
}

PHONE_PERFECT = {
    "data_wiped": True, "account_lock": False, "functions_ok": True, "battery_health": 95,
    "screen": "flawless", "body_marks": "none", "non_original_parts": False,
}
PHONE_INSPECTION_PERFECT = {**PHONE_PERFECT, "imei_blacklisted": False}

BOOK_AS_NEW = {
    "missing_pages": False, "mould": False, "binding": "tight", "tears": False, "markings": False,
    "ex_library": False, "water_damage": False, "dust_jacket": "present",
}


def standard(code, version=1) -> GradingStandard:
    return with_scale(GradingStandard.objects.all()).get(code=code, version=version)


def listing_for(standard_code="phone", **fields):
    return ListingFactory(category=category(CATEGORY_FOR_STANDARD[standard_code]), **fields)


class AgencyFactory(OrganizationFactory):
    kind = OrganizationKind.INSPECTION_AGENCY
    name = factory.Sequence(lambda n: f"鉴定中心{n}")
    verification_status = VerificationStatus.VERIFIED


class DraftStandardFactory(DjangoModelFactory):
    """An empty draft; add levels and criteria with GradeLevel/Criterion.objects.create."""

    class Meta:
        model = GradingStandard

    code = factory.Sequence(lambda n: f"test-{n}")
    version = 1
    name_zh = "测试标准"
    name_en = "Test standard"
    source = "GB/T 21667-2024"
    status = StandardStatus.DRAFT
