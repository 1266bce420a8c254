"""The demo loader: agency inspections on listings the listings demo made, one with a mismatch."""
import pytest

from accounts.models import Role
from grading import demo, services
from grading.models import Assessment, AssessmentSource
from listings.models import ListingState
from tests.factories import member_of
from tests.grading.factories import BOOK_AS_NEW, PHONE_PERFECT, AgencyFactory, listing_for

pytestmark = pytest.mark.django_db


def test_demo_inspects_with_one_mismatch_and_is_idempotent(user):
    agency = AgencyFactory()
    world = {"orgs": {"inspection_agency": agency}, "org_staff": {"inspection_agency": member_of(agency, Role.OWNER)}}
    phone = listing_for("phone", seller=user, state=ListingState.ACTIVE)
    services.self_assess(phone, actor=user, answers=PHONE_PERFECT)
    book = listing_for("book", seller=user, state=ListingState.ACTIVE)
    services.self_assess(book, actor=user, answers={**BOOK_AS_NEW, "markings": True})
    appliance = listing_for("appliance", seller=user)  # not self-assessed: a clean inspection

    demo.load(world)
    demo.load(world)

    assert Assessment.objects.filter(source=AssessmentSource.INSPECTION).count() == 3
    for listing in (phone, book, appliance):
        listing.refresh_from_db()
        assert listing.grade_source == "inspection"
    assert phone.grade_mismatch is True and phone.grade_code != "P"
    assert (book.grade_mismatch, book.grade_code) == (False, "G")
    assert (appliance.grade_mismatch, appliance.grade_code) == (False, "A")
