"""Every time the API writes is UTC with a `Z` (README: "Times are ISO 8601 in UTC").

Issue 22, item 18: `created_at`, `published_at` and a trace event's `occurred_at` came as
`+08:00` from serializers while hand-built answers said `Z`, so one event read two ways. This walks
the answers of many endpoints, with TIME_ZONE at Asia/Shanghai, and checks every datetime string.
"""
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import Role
from certification import services as certification_services
from grading import services as grading_services
from listings.models import ListingState
from tests.certification.factories import CertificationBodyFactory, RemanufacturerFactory, issue, make_unit
from tests.factories import UserFactory, member_of
from tests.grading.factories import PHONE_INSPECTION_PERFECT, PHONE_PERFECT, AgencyFactory, listing_for
from tests.listings.factories import ListingFactory, active

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def datetimes(value, path="$"):
    """(path, string) for every string in a JSON value that reads as a date and a time."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from datetimes(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from datetimes(item, f"{path}[{index}]")
    elif isinstance(value, str) and DATETIME.match(value):
        yield path, value


@pytest.fixture
def world(db, settings):
    """People, organizations, listings, a graded phone, a certified and traced unit, notifications."""
    assert settings.TIME_ZONE == "Asia/Shanghai"  # the zone that made times read +08:00
    resident = UserFactory()
    listing = active(seller=resident)

    phone = listing_for("phone", seller=resident, state=ListingState.ACTIVE, published_at=timezone.now())
    grading_services.self_assess(phone, actor=resident, answers=PHONE_PERFECT)
    agency = AgencyFactory()
    inspector = member_of(agency, Role.ADMIN)
    grading_services.inspect(phone, actor=inspector, agency=agency, answers={**PHONE_INSPECTION_PERFECT, "battery_health": 90})

    body = CertificationBodyFactory()
    body_admin = member_of(body, Role.ADMIN)
    reman = RemanufacturerFactory()
    reman_admin = member_of(reman, Role.ADMIN)
    certificate = issue(body_admin, body, reman)  # notifies the holder's admins
    unit = make_unit(reman_admin, reman, certificate=certificate)
    reman_listing = ListingFactory(remanufactured=True, seller=reman_admin, organization=reman)
    certification_services.link_listing_certificate(
        reman_listing, actor=reman_admin, certificate=certificate, warranty_months=12,
        coverage_zh="主要部件一年保修", coverage_en="One year on the main parts", unit_codes=[unit.trace_code],
    )
    active(reman_listing)
    return {"resident": resident, "listing": listing, "phone": phone, "certificate": certificate, "unit": unit,
            "reman": reman, "reman_admin": reman_admin, "reman_listing": reman_listing}


def test_every_api_datetime_is_utc_with_z(world, api, client_for, staff):
    listing, phone, certificate, unit = world["listing"], world["phone"], world["certificate"], world["unit"]
    reman, reman_admin, resident = world["reman"], world["reman_admin"], world["resident"]
    owner, holder, platform = client_for(resident), client_for(reman_admin), client_for(staff)
    owner.post(f"/api/v1/listings/{listing.pk}/favourite/")

    answers = {
        "listings": api.get("/api/v1/listings/"),
        "listing": api.get(f"/api/v1/listings/{listing.pk}/"),
        "mine": owner.get("/api/v1/listings/", {"mine": 1}),
        "transitions": owner.get(f"/api/v1/listings/{listing.pk}/transitions/"),
        "history": owner.get(f"/api/v1/listings/{listing.pk}/history/"),
        "photos": api.get(f"/api/v1/listings/{listing.pk}/photos/"),
        "favourites": owner.get("/api/v1/favourites/"),
        "assessments": api.get(f"/api/v1/listings/{phone.pk}/assessments/"),
        "grade_report": api.get(f"/api/v1/listings/{phone.pk}/grade-report"),
        "standards": api.get("/api/v1/grading/standards/"),
        "certificates": api.get("/api/v1/certificates/"),
        "certificate_history": holder.get(f"/api/v1/certificates/{certificate.pk}/history/"),
        "units": holder.get("/api/v1/units/"),
        "unit": holder.get(f"/api/v1/units/{unit.trace_code}/"),
        "trace_events": holder.get(f"/api/v1/units/{unit.trace_code}/events/"),
        "verify_unit": api.get(f"/api/v1/verify/{unit.trace_code}"),
        "verify_certificate": api.get(f"/api/v1/verify/{certificate.number}"),
        "listing_certification": api.get(f"/api/v1/listings/{world['reman_listing'].pk}/certification/"),
        "notifications": holder.get("/api/v1/notifications/"),
        "organizations": api.get("/api/v1/organizations/"),
        "organization": platform.get(f"/api/v1/organizations/{reman.pk}/"),
        "verification_events": platform.get(f"/api/v1/organizations/{reman.pk}/verification-events"),
        "members": holder.get(f"/api/v1/organizations/{reman.pk}/members"),
        "invitations": holder.get(f"/api/v1/organizations/{reman.pk}/invitations"),
        "me": owner.get("/api/v1/me"),
        "search": api.get("/api/v1/search/listings"),
    }
    found = {}
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.content[:300])
        found[name] = list(datetimes(response.json()))

    not_utc = {name: [(path, value) for path, value in pairs if not value.endswith("Z")]
               for name, pairs in found.items()}
    assert not {name: pairs for name, pairs in not_utc.items() if pairs}
    # The walk saw the times the issue named, so it cannot pass by finding none.
    paths = {path.rsplit(".", 1)[-1] for pairs in found.values() for path, _value in pairs}
    assert {"created_at", "published_at", "occurred_at", "assessed_at"} <= paths
    for name in ("listings", "listing", "trace_events", "verify_unit", "grade_report", "notifications",
                 "certificate_history", "assessments"):
        assert found[name], f"no datetime in {name}"


def test_a_utc_time_names_the_same_instant_as_the_stored_one(world, client_for):
    holder = client_for(world["reman_admin"])
    events = holder.get(f"/api/v1/units/{world['unit'].trace_code}/events/").json()
    stored = world["unit"].events.order_by("sequence").first().occurred_at
    shown = datetime.fromisoformat(events[0]["occurred_at"].replace("Z", "+00:00"))
    assert shown == stored and shown.tzinfo is not None and shown.utcoffset() == timedelta(0)
    # The public verify answer says the same instant the same way.
    public = client_for(None).get(f"/api/v1/verify/{world['unit'].trace_code}").json()
    assert public["unit"]["events"][0]["occurred_at"] == events[0]["occurred_at"]


def test_the_login_token_expiry_is_utc(db, api):
    user = UserFactory()
    response = api.post("/api/v1/auth/login", {"login": user.email, "password": "correct-horse-battery"})
    assert response.status_code == 200, response.content
    assert response.json()["expiry"].endswith("Z")
    assert AuthToken.objects.filter(user=user).exists()


def test_a_time_sent_without_an_offset_is_read_as_utc(world, client_for):
    """Input follows the same rule: a naive time is UTC, not Beijing time."""
    holder = client_for(world["reman_admin"])
    unit = certification_services.create_unit(
        actor=world["reman_admin"], manufacturer=world["reman"], category=world["unit"].category,
        product_name="再制造起动机", remanufactured_on=timezone.localdate(),
    )
    response = holder.post(f"/api/v1/units/{unit.trace_code}/events/",
                           {"kind": "core_intake", "occurred_at": "2026-01-05T10:00:00",
                            "data": {"source": "回收站", "condition": "完好"}}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["occurred_at"] == "2026-01-05T10:00:00Z"
    assert unit.events.get().occurred_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
