"""Journey of the issue "Certification", done-when, acted out through the HTTP API only.

A certification body and a remanufacturer register and are verified by staff. The body certifies
the remanufacturer for auto parts; the remanufacturer traces a unit from core intake to final
test, lists it with certificate, warranty and unit, and publishes. Anyone can verify the trace
code and the certificate number (API, HTML page in Chinese and English, PNG label) without
learning private data. Suspending the certificate suspends the listing (gone from the public
list, reason shown to the seller); reinstating it brings the listing back. A merchant cannot
publish a used phone without a data-erasure record, and can once it records one.
"""
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from PIL import Image

from tests.journeys.actors import (
    anonymous,
    assert_error_shape,
    category,
    flawless_answers,
    ids,
    platform_staff,
    published_standard,
    register,
    register_organization,
    upload_photo,
    verified_by_staff,
)

pytestmark = pytest.mark.django_db

SERIAL = "ALT-SN-7781-PRIVATE"
INTERNAL_NOTE = "内部备注：旧件来自张三的车，电话 13912345678"


def _remanufactured_answers(standard):
    """Flawless answers, except that the origin is what it truly is: remanufactured and marked."""
    answers = flawless_answers(standard)
    sellable = {level["code"] for level in standard["levels"] if level["sellable"]}
    origin = next(c for c in standard["criteria"] if c["key"] == "origin")
    marked = next(
        choice for choice in origin["choices"]
        if choice["label_en"].lower().startswith("remanufactured") and choice["cap"] in sellable
    )
    return {**answers, "origin": marked["value"]}, marked["cap"]


def test_certified_remanufactured_part_from_certificate_to_public_verification_and_suspension():
    staff = platform_staff()
    certifier = register("certifier.journey@example.com", display_name="认证审核员")
    body = register_organization(certifier, "certification_body", "中循认证（旅程）")
    reman = register("reman.journey@example.com", display_name="再制造车间主任")
    maker = register_organization(reman, "remanufacturer", "粤再生零部件（旅程）")
    auto_parts = category(reman, "auto-parts")
    today = timezone.localdate()
    issue = {
        "issuer": body["id"], "holder": maker["id"], "type": "product", "categories": [auto_parts["id"]],
        "brand": "Bosch", "model_range": "发电机 12V 90-150A", "standard": "GB/T 28618-2012",
        "scope_zh": "汽车发电机再制造", "scope_en": "Remanufactured car alternators",
        "issued_on": today.isoformat(), "valid_until": (today + timedelta(days=365)).isoformat(),
    }

    # Nobody acts for an organization staff have not verified yet.
    assert_error_shape(certifier.post("/api/v1/certificates/", issue), 403)
    verified_by_staff(staff, body)
    refused = certifier.post("/api/v1/certificates/", issue)
    assert_error_shape(refused, 400, "holder_not_remanufacturer")
    verified_by_staff(staff, maker)

    # --- the body issues the certificate -------------------------------------------------------------
    assert_error_shape(reman.post("/api/v1/certificates/", issue), 403)  # the holder cannot self-certify
    issued = certifier.post("/api/v1/certificates/", issue)
    assert issued.status_code == 201, issued.content
    certificate = issued.json()
    number = certificate["number"]
    assert number.startswith(f"RC{today.year}") and len(number) == 13
    assert certificate["status"] == "valid"
    assert certificate["holder"]["name"] == maker["name"] and certificate["issuer"]["name"] == body["name"]
    assert [c["slug"] for c in certificate["categories"]] == ["auto-parts"]
    assert number in [c["number"] for c in anonymous().get("/api/v1/certificates/").json()["results"]]
    assert any(n["kind"] == "certificate_issued" for n in reman.get("/api/v1/notifications/").json()["results"])

    # --- the remanufacturer registers a unit and traces it --------------------------------------------
    created = reman.post("/api/v1/units/", {
        "manufacturer": maker["id"], "certificate": certificate["id"], "category": auto_parts["id"],
        "product_name": "再制造发电机 Bosch 0124525", "part_number": "0 124 525 015", "batch": "B2026-11",
        "remanufactured_on": today.isoformat(), "serial_number": SERIAL,
    })
    assert created.status_code == 201, created.content
    unit = created.json()
    code = unit["trace_code"]
    assert len(code) == 12 and unit["trace_code_display"].replace("-", "") == code

    start = timezone.now() - timedelta(days=3)
    events = [
        ("core_intake", {"source": "持证报废机动车回收拆解企业", "condition": "外壳完好，轴承磨损"}),
        ("disassembly", {"summary": "全部拆解，清点零件"}),
        ("cleaning", {"method": "超声波清洗 + 喷砂"}),
        ("part_replacement", {"parts": [{"name": "轴承", "part_number": "6203-2RS", "origin": "new"},
                                        {"name": "调节器", "part_number": "F00M145225", "origin": "new"}]}),
        ("final_test", {"result": "pass", "measurements": {"output_a": 148.5, "voltage_v": 14.2},
                        "standard": "GB/T 28618-2012"}),
    ]
    out_of_order = reman.post(f"/api/v1/units/{code}/events/", {
        "kind": "final_test", "occurred_at": start.isoformat(), "data": events[4][1],
    })
    assert_error_shape(out_of_order, 409, "chain_order")
    for step, (kind, data) in enumerate(events):
        if kind == "final_test":  # the warranty cannot start before a passed final test
            early = reman.post(f"/api/v1/units/{code}/events/", {
                "kind": "warranty_start", "occurred_at": (start + timedelta(hours=step)).isoformat(),
                "data": {"months": 12},
            })
            assert_error_shape(early, 409, "final_test_missing")
        appended = reman.post(f"/api/v1/units/{code}/events/", {
            "kind": kind, "occurred_at": (start + timedelta(hours=step + 1)).isoformat(), "data": data,
            "note": INTERNAL_NOTE,
        })
        assert appended.status_code == 201, appended.content
        assert appended.json()["sequence"] == step + 1
    assert [e["kind"] for e in reman.get(f"/api/v1/units/{code}/events/").json()] == [k for k, _ in events]

    # --- a remanufactured listing with certificate, warranty, unit, photo and self-assessment ----------
    created = reman.post("/api/v1/listings/", {
        "category": auto_parts["id"], "kind": "remanufactured", "organization": maker["id"],
        "title": "再制造发电机 博世 0124525 12V 150A", "description": "原厂标准再制造，质保一年。",
        "price": "880.00", "quantity": 1, "city": "广州市", "district": "番禺区",
        "handover_options": ["pickup"],
        "attributes": {"oe_number": " 0124525015 ", "brand": "Bosch", "fits_models": "大众 帕萨特 B5"},
    })
    assert created.status_code == 201, created.content
    listing_id = created.json()["id"]
    assert created.json()["attributes"]["oe_number"] == "0124525015"

    upload_photo(reman, listing_id)
    standard = published_standard(reman, auto_parts["grading_standard_code"])
    answers, expected_grade = _remanufactured_answers(standard)
    assessed = reman.post(f"/api/v1/listings/{listing_id}/assessments/", {"answers": answers})
    assert assessed.status_code == 201, assessed.content
    assert assessed.json()["grade"] == expected_grade

    unlinked = assert_error_shape(reman.post(f"/api/v1/listings/{listing_id}/publish/"), 409, "not_publishable")
    assert "certificate" in unlinked["detail"].lower()
    problems = reman.get(f"/api/v1/listings/{listing_id}/certification/").json()["problems"]
    assert problems

    linked = reman.put(f"/api/v1/listings/{listing_id}/certification/", {
        "certificate": certificate["id"], "warranty_months": 12,
        "coverage_zh": "一年或两万公里，非人为损坏免费更换", "coverage_en": "One year or 20,000 km, free replacement",
        "unit_codes": [unit["trace_code_display"]],
    })
    assert linked.status_code == 200, linked.content
    assert linked.json()["unit_codes"] == [code]
    assert linked.json()["problems"] == []
    assert linked.json()["warranty"]["certificate_number"] == number

    published = reman.post(f"/api/v1/listings/{listing_id}/publish/")
    assert published.status_code == 200, published.content
    assert published.json()["state"] == "active"

    buyer = anonymous()
    assert listing_id in ids(buyer.get("/api/v1/listings/", kind="remanufactured").json())
    warranty = buyer.get(f"/api/v1/listings/{listing_id}/warranty/").json()
    assert warranty["months"] == 12 and warranty["certificate_number"] == number

    # --- anyone verifies the trace code and the certificate number --------------------------------------
    private = [SERIAL, INTERNAL_NOTE, "13912345678", "reman.journey@example.com", "再制造车间主任",
               maker["credit_code"], body["credit_code"], "020-87654321", "contact@org.example.com"]

    by_code = buyer.get(f"/api/v1/verify/{unit['trace_code_display']}")
    assert by_code.status_code == 200, by_code.content
    found = by_code.json()
    assert found["kind"] == "unit" and found["code"] == code
    assert found["certificate"]["number"] == number and found["certificate"]["status"] == "valid"
    assert found["certificate"]["holder"] == {"name": maker["name"], "city": maker["city"]}
    assert found["certificate"]["issuer"]["name"] == body["name"]
    assert (found["certificate"]["issued_on"], found["certificate"]["valid_until"]) == (issue["issued_on"], issue["valid_until"])
    assert found["unit"]["chain"] == {"ok": True, "length": len(events), "first_bad_event": None}
    assert [e["kind"] for e in found["unit"]["events"]] == [k for k, _ in events]
    assert found["unit"]["remanufacturer"]["name"] == maker["name"]
    assert found["warranty"]["months"] == 12
    assert found["page_url"].endswith(f"/verify/{code}")
    for secret in private:
        assert secret not in by_code.content.decode(), secret

    by_number = buyer.get(f"/api/v1/verify/{number.lower()}")
    assert by_number.status_code == 200, by_number.content
    assert by_number.json()["kind"] == "certificate" and by_number.json()["unit"] is None
    assert by_number.json()["certificate"]["status"] == "valid"
    for secret in private:
        assert secret not in by_number.content.decode(), secret
    assert_error_shape(buyer.get("/api/v1/verify/23456789ABCD"), 404, "not_found")

    zh = anonymous(language="zh-hans").get(f"/verify/{code}")
    assert zh.status_code == 200 and zh["Content-Language"] == "zh-hans"
    page = zh.content.decode()
    assert "验证再制造产品" in page and "有效" in page and maker["name"] in page and number in page
    en = anonymous(language="zh-hans").get(f"/verify/{code}", {"lang": "en"})
    assert en.status_code == 200 and en["Content-Language"] == "en"
    page = en.content.decode()
    assert "Verify a remanufactured product" in page and "Valid" in page and "Intact (5 steps)" in page
    for secret in private:
        assert secret not in zh.content.decode() and secret not in page, secret

    label = buyer.get(f"/api/v1/labels/{code}.png")
    assert label.status_code == 200, label.content[:200]
    assert label["Content-Type"] == "image/png" and label.content.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(BytesIO(label.content)) as picture:
        assert picture.format == "PNG" and picture.width > 200 and picture.height > 100

    # --- the body suspends the certificate: the listing goes with it ------------------------------------
    assert_error_shape(reman.post(f"/api/v1/certificates/{certificate['id']}/suspend/", {"reason": "x"}), 403)
    assert_error_shape(staff.post(f"/api/v1/certificates/{certificate['id']}/suspend/", {"reason": "x"}), 403)
    suspended = certifier.post(f"/api/v1/certificates/{certificate['id']}/suspend/", {"reason": "监督抽检不合格"})
    assert suspended.status_code == 200, suspended.content
    assert suspended.json()["status"] == "suspended"

    assert listing_id not in ids(buyer.get("/api/v1/listings/").json())
    assert_error_shape(buyer.get(f"/api/v1/listings/{listing_id}/"), 404, "not_found")
    assert buyer.get(f"/api/v1/verify/{code}").json()["certificate"]["status"] == "suspended"
    assert number not in [c["number"] for c in anonymous().get("/api/v1/certificates/").json()["results"]]

    seen_by_seller = reman.get(f"/api/v1/listings/{listing_id}/").json()
    assert seen_by_seller["state"] == "suspended"
    assert seen_by_seller["suspension_sources"] == ["certificate"]
    assert number in seen_by_seller["suspension_reason"] and "监督抽检不合格" in seen_by_seller["suspension_reason"]
    assert listing_id in ids(reman.get("/api/v1/listings/", mine=1).json())
    kinds = [n["kind"] for n in reman.get("/api/v1/notifications/").json()["results"]]
    assert "listing_suspended" in kinds and "certificate_suspended" in kinds
    # The seller cannot talk the listing back online while the certificate is suspended.
    assert_error_shape(reman.post(f"/api/v1/listings/{listing_id}/release/"), 409, "listing_suspended")
    assert_error_shape(staff.post(f"/api/v1/listings/{listing_id}/reinstate/"), 409, "not_suspended")
    assert_error_shape(certifier.post(f"/api/v1/certificates/{certificate['id']}/suspend/", {"reason": "again"}), 409,
                       "invalid_transition")

    # --- reinstated: the listing is back ------------------------------------------------------------------
    reinstated = certifier.post(f"/api/v1/certificates/{certificate['id']}/reinstate/", {"reason": "整改完成，复检合格"})
    assert reinstated.status_code == 200, reinstated.content
    assert reinstated.json()["status"] == "valid"
    assert listing_id in ids(buyer.get("/api/v1/listings/").json())
    back = buyer.get(f"/api/v1/listings/{listing_id}/").json()
    assert back["state"] == "active" and back["suspension_reason"] is None
    assert reman.get(f"/api/v1/listings/{listing_id}/").json()["suspension_sources"] == []
    assert buyer.get(f"/api/v1/verify/{number}").json()["certificate"]["status"] == "valid"
    history = certifier.get(f"/api/v1/certificates/{certificate['id']}/history/").json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("", "valid"), ("valid", "suspended"), ("suspended", "valid"),
    ]
    assert_error_shape(buyer.get(f"/api/v1/certificates/{certificate['id']}/history/"), 401, "not_authenticated")


def test_merchant_needs_a_data_erasure_record_to_publish_a_used_phone():
    staff = platform_staff()
    owner = register("merchant.journey@example.com", display_name="优品店长", city="深圳市", district="福田区")
    shop = register_organization(owner, "merchant", "深圳优品二手数码（旅程）", city="深圳市")
    verified_by_staff(staff, shop)
    phones = category(owner, "phones")

    created = owner.post("/api/v1/listings/", {
        "category": phones["id"], "organization": shop["id"], "title": "华为 Mate 40 Pro 256G 官方翻新检测",
        "price": "2399.00", "quantity": 3, "city": "深圳市", "district": "福田区",
        "attributes": {"brand": "HUAWEI", "model": "Mate 40 Pro", "storage_gb": 256},
    })
    assert created.status_code == 201, created.content
    listing_id = created.json()["id"]
    upload_photo(owner, listing_id)
    standard = published_standard(owner, phones["grading_standard_code"])
    assert owner.post(f"/api/v1/listings/{listing_id}/assessments/",
                      {"answers": flawless_answers(standard)}).status_code == 201

    erasure = owner.get(f"/api/v1/listings/{listing_id}/data-erasure/").json()
    assert erasure["required"] is True and erasure["status"] == "missing" and erasure["record"] is None

    refused = assert_error_shape(owner.post(f"/api/v1/listings/{listing_id}/publish/"), 409, "not_publishable")
    assert "NIST SP 800-88" in refused["detail"]

    # A factory reset is what residents may declare; a merchant must sanitize and verify.
    reset = owner.post(f"/api/v1/listings/{listing_id}/data-erasure/", {
        "method": "factory_reset", "performed_on": timezone.localdate().isoformat(), "device_serial_last4": "7Q2K",
    })
    assert_error_shape(reset, 400)
    stranger = register("nosy.journey@example.com", display_name="好奇的人")
    assert_error_shape(stranger.post(f"/api/v1/listings/{listing_id}/data-erasure/", {
        "method": "purge", "performed_on": timezone.localdate().isoformat(), "device_serial_last4": "7Q2K",
    }), 404)

    recorded = owner.post(f"/api/v1/listings/{listing_id}/data-erasure/", {
        "method": "purge", "tool": "Blancco Mobile Diagnostics & Erasure", "tool_version": "6.12",
        "operator_name": "李技术员", "performed_on": timezone.localdate().isoformat(),
        "verification_method": "抽样读取校验 + 厂商报告", "verification_result": "passed", "device_serial_last4": "7Q2K",
    })
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["status"] == "verified"
    assert recorded.json()["record"]["operator_name"] == "李技术员"

    published = owner.post(f"/api/v1/listings/{listing_id}/publish/")
    assert published.status_code == 200, published.content
    assert published.json()["state"] == "active" and published.json()["quantity"] == 3

    seen = anonymous().get(f"/api/v1/listings/{listing_id}/data-erasure/")
    assert seen.status_code == 200
    assert seen.json()["status"] == "verified" and seen.json()["record"]["method"] == "purge"
    assert "operator_name" not in seen.json()["record"] and "李技术员" not in seen.content.decode()
