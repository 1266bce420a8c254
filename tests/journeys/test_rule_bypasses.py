"""Publish rules cannot be walked around through another endpoint once a listing is on sale.

The rules of being on sale (listings.eligibility) keep holding while a listing is active or reserved:
  * an edit that would break one is refused with 409 `not_publishable`, naming the reasons
    (PATCH quantity beyond the traced units, PUT certification without the units);
  * a fact recorded later that breaks one suspends the listing for the rule's source
    (an inspection that finds a blocker: source "grading"), and the seller sees why.
"""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.journeys.actors import (
    anonymous,
    assert_error_shape,
    category,
    flawless_answers,
    platform_staff,
    published_standard,
    register,
    register_organization,
    upload_photo,
    verified_by_staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_reman_listing():
    """A remanufacturer's active listing of quantity 1 with exactly one traced, tested unit."""
    staff = platform_staff()
    certifier = register("certifier.bypass@example.com", display_name="认证员")
    body = verified_by_staff(staff, register_organization(certifier, "certification_body", "认证机构（绕过）"))
    reman = register("reman.bypass@example.com", display_name="再制造商")
    maker = verified_by_staff(staff, register_organization(reman, "remanufacturer", "再制造厂（绕过）"))
    auto_parts = category(reman, "auto-parts")
    today = timezone.localdate()
    certificate = certifier.post("/api/v1/certificates/", {
        "issuer": body["id"], "holder": maker["id"], "categories": [auto_parts["id"]], "standard": "GB/T 28618-2012",
        "scope_zh": "发电机再制造", "issued_on": today.isoformat(),
        "valid_until": (today + timedelta(days=365)).isoformat(),
    }).json()

    unit = reman.post("/api/v1/units/", {
        "manufacturer": maker["id"], "certificate": certificate["id"], "category": auto_parts["id"],
        "product_name": "再制造发电机", "remanufactured_on": today.isoformat(),
    }).json()
    code = unit["trace_code"]
    start = timezone.now() - timedelta(hours=2)
    for step, (kind, data) in enumerate([("core_intake", {"source": "拆解厂", "condition": "可用"}),
                                         ("final_test", {"result": "pass"})]):
        response = reman.post(f"/api/v1/units/{code}/events/", {
            "kind": kind, "occurred_at": (start + timedelta(minutes=step)).isoformat(), "data": data,
        })
        assert response.status_code == 201, response.content

    listing = reman.post("/api/v1/listings/", {
        "category": auto_parts["id"], "kind": "remanufactured", "organization": maker["id"], "title": "再制造发电机",
        "price": "800.00", "quantity": 1, "city": "广州市", "attributes": {"oe_number": "0124525015"},
    }).json()
    link = {"certificate": certificate["id"], "warranty_months": 12, "coverage_zh": "一年", "unit_codes": [code]}
    assert reman.put(f"/api/v1/listings/{listing['id']}/certification/", link).status_code == 200
    upload_photo(reman, listing["id"])
    standard = published_standard(reman, auto_parts["grading_standard_code"])
    origin = next(c for c in standard["criteria"] if c["key"] == "origin")
    marked = next(c["value"] for c in origin["choices"] if c["label_en"].lower().startswith("remanufactured"))
    answers = {**flawless_answers(standard), "origin": marked}
    assert reman.post(f"/api/v1/listings/{listing['id']}/assessments/", {"answers": answers}).status_code == 201
    assert reman.post(f"/api/v1/listings/{listing['id']}/publish/").json()["state"] == "active"
    return {"reman": reman, "listing_id": listing["id"], "link": link, "unit": code}


def _still_keeps_the_rule(reman, listing_id, response):
    """Either the change is refused (4xx in the error shape) or the listing leaves the public list."""
    if response.status_code >= 400:
        assert_error_shape(response, response.status_code)
        return
    detail = anonymous().get(f"/api/v1/listings/{listing_id}/")
    problems = reman.get(f"/api/v1/listings/{listing_id}/certification/").json()["problems"]
    assert detail.status_code == 404 or detail.json()["state"] != "active", (
        f"the active listing now breaks its publish rule: {problems}"
    )


def test_raising_the_quantity_of_an_active_remanufactured_listing_needs_a_unit_per_item(published_reman_listing):
    reman, listing_id = published_reman_listing["reman"], published_reman_listing["listing_id"]
    response = reman.patch(f"/api/v1/listings/{listing_id}/", {"quantity": 5})
    _still_keeps_the_rule(reman, listing_id, response)
    body = assert_error_shape(response, 409, "not_publishable")
    assert "1 of 5" in body["detail"]
    assert reman.get(f"/api/v1/listings/{listing_id}/").json()["quantity"] == 1


def test_unlinking_the_units_of_an_active_remanufactured_listing_is_refused(published_reman_listing):
    reman, listing_id = published_reman_listing["reman"], published_reman_listing["listing_id"]
    response = reman.put(f"/api/v1/listings/{listing_id}/certification/", {**published_reman_listing["link"], "unit_codes": []})
    _still_keeps_the_rule(reman, listing_id, response)
    assert_error_shape(response, 409, "not_publishable")
    certification = reman.get(f"/api/v1/listings/{listing_id}/certification/").json()
    assert certification["unit_codes"] == [published_reman_listing["unit"]] and certification["problems"] == []


def test_an_inspection_that_finds_a_blocker_takes_an_active_listing_off_sale():
    """grading.selectors.publish_blockers keeps an unsellable (X) item from being published, but
    grading an active listing afterwards leaves it on sale: here a phone an inspector found on
    the IMEI blacklist (lost or stolen) stays active and public with grade X."""
    seller = register("seller.blocker@example.com", display_name="卖家")
    phones = category(seller, "phones")
    listing_id = seller.post("/api/v1/listings/", {
        "category": phones["id"], "title": "二手手机", "price": "900.00", "city": "广州市",
        "attributes": {"brand": "Xiaomi", "model": "13"},
    }).json()["id"]
    upload_photo(seller, listing_id)
    standard = published_standard(seller, phones["grading_standard_code"])
    assert seller.post(f"/api/v1/listings/{listing_id}/assessments/", {"answers": flawless_answers(standard)}).status_code == 201
    assert seller.post(f"/api/v1/listings/{listing_id}/publish/").json()["state"] == "active"

    inspector = register("inspector.blocker@example.com", display_name="鉴定师")
    agency = verified_by_staff(platform_staff(), register_organization(inspector, "inspection_agency", "鉴定所（拦截）"))
    blacklisted = {**flawless_answers(standard, inspection=True), "imei_blacklisted": True}
    inspected = inspector.post(f"/api/v1/listings/{listing_id}/assessments/",
                               {"source": "inspection", "agency": agency["id"], "answers": blacklisted})
    assert inspected.status_code == 201, inspected.content
    assert inspected.json()["sellable"] is False

    detail = anonymous().get(f"/api/v1/listings/{listing_id}/")
    assert detail.status_code == 404 or detail.json()["state"] != "active", (
        f"an unsellable item (grade {detail.json()['grade_code']}) is still on sale"
    )
    mine = seller.get(f"/api/v1/listings/{listing_id}/").json()
    assert (mine["state"], mine["suspension_sources"], mine["grade_code"]) == ("suspended", ["grading"], "X")
    assert mine["suspension_reason"], "the seller is told why"

    cleared = inspector.post(f"/api/v1/listings/{listing_id}/assessments/", {
        "source": "inspection", "agency": agency["id"], "answers": flawless_answers(standard, inspection=True),
    })
    assert cleared.status_code == 201, cleared.content
    assert anonymous().get(f"/api/v1/listings/{listing_id}/").json()["state"] == "active"
