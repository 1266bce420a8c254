"""Journey of the issue "Listings & grading", done-when, acted out through the HTTP API only.

A resident sells a used phone: draft with valid attributes, a GPS-tagged photo (stored without
GPS), a self-assessment answered from the standard the API serves, publish. An anonymous buyer
finds it with the declared grade and reads the grade report. A verified inspection agency
(registered and verified through the API) inspects it and finds a flaw; the buyer then sees the
inspected grade win and the mismatch, and the seller is notified. Illegal moves answer 409 and
other people cannot change the listing, always in the one error shape.
"""
from io import BytesIO

import pytest
from PIL import Image

from listings.models import ListingPhoto
from tests.journeys.actors import (
    anonymous,
    assert_error_shape,
    category,
    flawless_answers,
    has_gps,
    ids,
    platform_staff,
    published_standard,
    register,
    register_organization,
    sellable_flaw,
    stored_image,
    upload_photo,
    verified_by_staff,
)

pytestmark = pytest.mark.django_db


def test_resident_sells_a_phone_and_an_inspection_overrides_the_declared_grade():
    seller = register("lina.journey@example.com", display_name="琳娜")
    buyer = anonymous()

    # --- the seller drafts a listing in Phones, with the attributes its schema asks for ----------
    phones = category(seller, "phones")
    assert phones["requires_data_erasure"] is True
    schema = phones["attribute_schema"]
    attributes = {"brand": "Apple", "model": "iPhone 13", "storage_gb": 128, "color": "午夜色", "imei_last4": "4821"}
    assert set(schema["required"]) <= set(attributes) and set(attributes) <= set(schema["properties"])

    refused = seller.post("/api/v1/listings/", {
        "category": phones["id"], "title": "iPhone 13 128G", "price": "2999.00", "city": "广州市",
        "attributes": {**attributes, "imei": "356938035643809"},  # the full IMEI is never asked for
    })
    assert_error_shape(refused, 400)

    created = seller.post("/api/v1/listings/", {
        "category": phones["id"], "title": "iPhone 13 128G 国行", "description": "自用一年，无拆修，电池健康 100%。",
        "price": "2999.00", "negotiable": True, "city": "广州市", "district": "天河区",
        "latitude": 23.125178, "longitude": 113.280637, "attributes": attributes,
    })
    assert created.status_code == 201, created.content
    draft = created.json()
    listing_id = draft["id"]
    assert draft["state"] == "draft"
    assert draft["is_owner"] is True
    assert draft["attributes"] == attributes
    assert (draft["latitude"], draft["longitude"]) in {("23.13", "113.28"), (23.13, 113.28)}  # about 1 km

    # Nobody else sees a draft; an anonymous client cannot create.
    assert_error_shape(buyer.get(f"/api/v1/listings/{listing_id}/"), 404, "not_found")
    assert_error_shape(anonymous().post("/api/v1/listings/", {"title": "x"}, format="json"), 401, "not_authenticated")

    # Publishing a bare draft is refused with every reason at once; a draft cannot be reserved.
    bare = assert_error_shape(seller.post(f"/api/v1/listings/{listing_id}/publish/"), 409, "not_publishable")
    assert "photo" in bare["detail"].lower() and "grad" in bare["detail"].lower()
    assert_error_shape(seller.post(f"/api/v1/listings/{listing_id}/reserve/"), 409, "invalid_transition")

    # --- a photo straight off the phone: GPS and camera serial must not be stored ------------------
    photo = upload_photo(seller, listing_id)
    assert photo["position"] == 0
    for url in (photo["display_url"], photo["thumbnail_url"]):
        stored = stored_image(url)
        assert not has_gps(stored), url
        assert "exif" not in stored.info and not stored.getexif(), url
    # The cleaned original is stored but not served by the API: read it from storage.
    with ListingPhoto.objects.get(pk=photo["id"]).original.open("rb") as handle:
        kept = Image.open(BytesIO(handle.read()))
    assert kept.format == "JPEG"
    assert not has_gps(kept) and not kept.getexif()

    # --- self-assessment under the category's standard, answers worked out from its criteria ------
    standard = published_standard(seller, phones["grading_standard_code"])
    assert standard["label"] == f"{standard['code']}/{standard['version']}"
    best = standard["levels"][0]["code"]
    declared_answers = flawless_answers(standard)
    inspection_only = {c["key"] for c in standard["criteria"] if c["inspection_only"]}
    assert inspection_only and not inspection_only & set(declared_answers)

    cheat = seller.post(f"/api/v1/listings/{listing_id}/assessments/", {"answers": declared_answers, "grade": best})
    assert_error_shape(cheat, 400)  # the grade is computed, never sent

    assessed = seller.post(f"/api/v1/listings/{listing_id}/assessments/",
                           {"answers": declared_answers, "notes": "屏幕贴膜使用"})
    assert assessed.status_code == 201, assessed.content
    assert assessed.json()["grade"] == best
    assert assessed.json()["source"] == "self_declared"
    assert assessed.json()["sellable"] is True

    published = seller.post(f"/api/v1/listings/{listing_id}/publish/")
    assert published.status_code == 200, published.content
    assert published.json()["state"] == "active"
    assert published.json()["published_at"] and published.json()["expires_at"]
    assert_error_shape(seller.post(f"/api/v1/listings/{listing_id}/publish/"), 409, "invalid_transition")
    assert_error_shape(seller.post(f"/api/v1/listings/{listing_id}/reopen/"), 409, "invalid_transition")

    # --- an anonymous buyer finds it, with the declared grade, and reads the grade report ----------
    page = buyer.get("/api/v1/listings/", category=phones["id"]).json()
    assert listing_id in ids(page)
    card = next(item for item in page["results"] if item["id"] == listing_id)
    assert (card["grade_code"], card["grade_source"], card["grade_mismatch"]) == (best, "self_declared", False)
    assert card["seller"] == {"id": seller.id, "display_name": "琳娜"}
    assert card["cover_thumbnail_url"]

    detail = buyer.get(f"/api/v1/listings/{listing_id}/").json()
    assert detail["declared_grade"]["code"] == best
    assert detail["inspected_grade"] is None
    assert detail["is_owner"] is False
    assert detail["suspension_reason"] is None and detail["suspension_sources"] is None
    assert "lina.journey@example.com" not in str(detail)

    report = buyer.get(f"/api/v1/listings/{listing_id}/grade-report")
    assert report.status_code == 200, report.content
    report = report.json()
    assert report["standard"]["code"] == standard["code"]
    assert report["grade"]["code"] == best and report["grade_source"] == "self_declared"
    assert report["declared"]["grade"]["code"] == best and report["inspected"] is None
    assert report["mismatch"] is False
    assert {c["key"] for c in report["declared"]["criteria"]} == set(declared_answers)

    # --- another resident cannot change it (403 or 404, in the error shape) ------------------------
    stranger = register("stranger.journey@example.com", display_name="路人")
    for response in (
        stranger.patch(f"/api/v1/listings/{listing_id}/", {"price": "1.00"}),
        stranger.post(f"/api/v1/listings/{listing_id}/withdraw/"),
        stranger.post(f"/api/v1/listings/{listing_id}/mark-sold/"),
        stranger.post(f"/api/v1/listings/{listing_id}/assessments/", {"answers": declared_answers}),
        stranger.client.delete(f"/api/v1/listings/{listing_id}/"),
    ):
        assert response.status_code in (403, 404), response.content
        assert_error_shape(response, response.status_code)
    assert buyer.get(f"/api/v1/listings/{listing_id}/").json()["price"] == "2999.00"

    # --- an inspection agency registers; before staff verify it, it may not inspect ----------------
    inspector = register("inspector.journey@example.com", display_name="鉴定师小周")
    agency = register_organization(inspector, "inspection_agency", "华南二手鉴定（旅程）")
    key, flaw, flawed_grade = sellable_flaw(standard)
    inspected_answers = {**flawless_answers(standard, inspection=True), key: flaw}
    assert set(inspected_answers) >= inspection_only

    inspection = {"source": "inspection", "agency": agency["id"], "answers": inspected_answers}
    early = inspector.post(f"/api/v1/listings/{listing_id}/assessments/", inspection)
    assert_error_shape(early, 403, "organization_not_verified")
    assert_error_shape(inspector.post(f"/api/v1/organizations/{agency['id']}/verify/"), 403, "permission_denied")

    staff = platform_staff()
    verified_by_staff(staff, agency)

    # Inspection-only criteria are required of an inspector.
    without = {k: v for k, v in inspected_answers.items() if k not in inspection_only}
    assert_error_shape(inspector.post(f"/api/v1/listings/{listing_id}/assessments/", {**inspection, "answers": without}), 400)

    inspected = inspector.post(f"/api/v1/listings/{listing_id}/assessments/", inspection)
    assert inspected.status_code == 201, inspected.content
    assert inspected.json()["grade"] == flawed_grade != best
    assert inspected.json()["inspection_agency"]["id"] == agency["id"]

    # --- the buyer now sees the inspected grade win, and the mismatch --------------------------------
    detail = buyer.get(f"/api/v1/listings/{listing_id}/").json()
    assert (detail["grade_code"], detail["grade_source"], detail["grade_mismatch"]) == (flawed_grade, "inspection", True)
    assert detail["declared_grade"]["code"] == best
    assert detail["inspected_grade"]["code"] == flawed_grade
    card = next(item for item in buyer.get("/api/v1/listings/").json()["results"] if item["id"] == listing_id)
    assert (card["grade_code"], card["grade_mismatch"]) == (flawed_grade, True)
    assert listing_id in ids(buyer.get("/api/v1/listings/", grade=flawed_grade).json())

    report = buyer.get(f"/api/v1/listings/{listing_id}/grade-report").json()
    assert report["grade"]["code"] == flawed_grade and report["grade_source"] == "inspection"
    assert report["mismatch"] is True
    assert report["inspected"]["inspection_agency"]["name"] == agency["name"]
    capped = {c["key"]: c["cap"] for c in report["inspected"]["criteria"]}
    assert capped[key]["code"] == flawed_grade
    assert report["declared"]["grade"]["code"] == best

    history = buyer.get(f"/api/v1/listings/{listing_id}/assessments/").json()["results"]
    assert {(a["source"], a["grade"], a["is_current"]) for a in history} == {
        ("self_declared", best, True), ("inspection", flawed_grade, True),
    }

    # --- the seller was told ------------------------------------------------------------------------
    notes = seller.get("/api/v1/notifications/", kind="grade_mismatch").json()["results"]
    assert notes, "the seller gets a grade_mismatch notification"
    assert notes[0]["data"]["declared"] == best and notes[0]["data"]["inspected"] == flawed_grade
    assert notes[0]["data"]["agency"] == agency["name"]
    assert not stranger.get("/api/v1/notifications/", kind="grade_mismatch").json()["results"]

    # --- the end of the road: sold is final ----------------------------------------------------------
    assert seller.post(f"/api/v1/listings/{listing_id}/reserve/").json()["state"] == "reserved"
    assert_error_shape(seller.post(f"/api/v1/listings/{listing_id}/withdraw/"), 409, "invalid_transition")
    assert seller.post(f"/api/v1/listings/{listing_id}/mark-sold/").json()["state"] == "sold"
    for move in ("reopen", "release", "withdraw", "reserve"):
        assert_error_shape(seller.post(f"/api/v1/listings/{listing_id}/{move}/"), 409, "invalid_transition")
    assert_error_shape(seller.patch(f"/api/v1/listings/{listing_id}/", {"price": "10.00"}), 409, "listing_sold")
    assert_error_shape(
        seller.post(f"/api/v1/listings/{listing_id}/assessments/", {"answers": declared_answers}), 409,
        "listing_not_gradable",
    )
    transitions = seller.get(f"/api/v1/listings/{listing_id}/transitions/").json()
    assert [(t["from_state"], t["to_state"]) for t in transitions] == [
        ("draft", "active"), ("active", "reserved"), ("reserved", "sold"),
    ]
    assert_error_shape(stranger.get(f"/api/v1/listings/{listing_id}/transitions/"), 403, "permission_denied")
