"""Public verification: the JSON lookup, the phone page and the printable label leak nothing private."""
import io

import pytest
import segno
from django.conf import settings as django_settings
from PIL import Image

from certification import codes, services
from certification.labels import qr_image, verify_url
from certification.models import Certificate
from tests.certification.factories import make_unit
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, active

VERIFY_KEYS = {"code", "kind", "verdict", "certificate", "unit", "warranty", "page_url", "label_url"}
CERTIFICATE_KEYS = {"number", "type", "status", "status_display", "issuer", "holder", "categories", "brand",
                    "model_range", "standard", "scope", "issued_on", "valid_until"}
ORGANIZATION_KEYS = {"name", "city"}
UNIT_KEYS = {"trace_code", "trace_code_display", "product_name", "part_number", "batch", "remanufactured_on",
             "remanufacturer", "chain", "events"}
EVENT_KEYS = {"sequence", "kind", "kind_display", "occurred_at", "data"}


@pytest.fixture
def sold_unit(unit, reman, reman_admin, reman_member, certificate):
    """A unit offered in an active listing, then sold (the sale names no buyer)."""
    listing = ListingFactory(remanufactured=True, seller=reman_admin, organization=reman)
    services.link_listing_certificate(listing, actor=reman_admin, certificate=certificate, warranty_months=24,
                                      coverage_zh="主要部件两年保修", coverage_en="Two years on the main parts",
                                      unit_codes=[unit.trace_code])
    active(listing)
    from django.utils import timezone

    services.append_trace_event(unit, actor=reman_member, kind="sale", occurred_at=timezone.now(),
                                data={"channel": "marketplace"}, note="买家：张三 13800138000")
    return unit


class TestVerifyApi:
    def test_a_trace_code_shows_certificate_unit_chain_and_warranty_and_nothing_private(self, api, sold_unit, certificate):
        response = api.get(f"/api/v1/verify/{codes.format_trace_code(sold_unit.trace_code)}")
        assert response.status_code == 200, response.content
        data = response.json()

        assert set(data) == VERIFY_KEYS
        assert data["kind"] == "unit" and data["code"] == sold_unit.trace_code
        assert data["page_url"] == f"{django_settings.PUBLIC_BASE_URL}/verify/{sold_unit.trace_code}"
        assert data["label_url"].endswith(f"/api/v1/labels/{sold_unit.trace_code}.png")
        assert set(data["certificate"]) == CERTIFICATE_KEYS
        assert set(data["certificate"]["issuer"]) == set(data["certificate"]["holder"]) == ORGANIZATION_KEYS
        assert data["certificate"]["number"] == certificate.number and data["certificate"]["status"] == "valid"
        assert set(data["unit"]) == UNIT_KEYS
        assert set(data["unit"]["remanufacturer"]) == ORGANIZATION_KEYS
        assert data["unit"]["chain"] == {"ok": True, "length": 6, "first_bad_event": None}
        assert all(set(event) == EVENT_KEYS for event in data["unit"]["events"])
        assert [event["kind"] for event in data["unit"]["events"]][-1] == "sale"
        assert data["unit"]["events"][-1]["data"] == {"channel": "marketplace"}
        assert data["warranty"] == {"months": 24, "coverage": "Two years on the main parts", "valid": True,
                                    "status": "valid", "status_display": "Valid while the certificate is valid."}
        assert data["verdict"] == {"valid": True, "level": "ok", "reason": "certificate_valid",
                                   "message": "Certificate valid"}

        text = response.content.decode()
        for private in ("张三", "13800138000", "SN-INTERNAL-001", "内部备注", sold_unit.created_by.public_name,
                        certificate.holder.credit_code, certificate.holder.contact_phone):
            assert private not in text

    def test_a_certificate_number_shows_the_certificate_whatever_its_status(self, api, certificate, body_admin):
        services.revoke_certificate(certificate, actor=body_admin, reason="内部原因：审核员举报")
        data = api.get(f"/api/v1/verify/{certificate.number.lower()}/").json()
        assert set(data) == VERIFY_KEYS
        assert (data["kind"], data["unit"], data["warranty"], data["label_url"]) == ("certificate", None, None, None)
        assert set(data["certificate"]) == CERTIFICATE_KEYS
        assert data["certificate"]["status"] == "revoked"
        assert "审核员举报" not in response_text(api, certificate.number)

    def test_a_tampered_chain_is_reported_publicly(self, api, unit):
        from django.db import connection

        from certification.models import TraceEvent

        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE certification_traceevent DISABLE TRIGGER certification_traceevent_append_only")
            cursor.execute(f"UPDATE {TraceEvent._meta.db_table} SET kind = 'repair' WHERE unit_id = %s AND sequence = 2",
                           [unit.pk])
        assert api.get(f"/api/v1/verify/{unit.trace_code}").json()["unit"]["chain"] == {
            "ok": False, "length": 5, "first_bad_event": 2
        }

    @pytest.mark.parametrize("code", ["ABCD-EFGH-JKLM", "RC2026000001X", "nonsense", "2345-6789-ABCD"])
    def test_unknown_or_mistyped_codes_are_404_in_the_error_shape(self, api, db, code):
        assert_error_shape(api.get(f"/api/v1/verify/{code}"), 404, "not_found")

    def test_a_well_formed_but_unissued_code_is_404_too(self, api, db):
        code = codes.new_trace_code()
        assert_error_shape(api.get(f"/api/v1/verify/{code}"), 404, "not_found")
        number = codes.certificate_number("product", 2026, 999_999)
        assert_error_shape(api.get(f"/api/v1/verify/{number}"), 404, "not_found")

    def test_lookups_are_throttled_per_client(self, api, settings, unit):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "verify": "3/min"},
        }
        statuses = [api.get(f"/api/v1/verify/{codes.new_trace_code()}").status_code for _ in range(3)]
        assert statuses == [404, 404, 404]
        body = assert_error_shape(api.get(f"/api/v1/verify/{unit.trace_code}"), 429, "throttled")
        assert body["status"] == 429
        assert_error_shape(api.get(f"/api/v1/labels/{unit.trace_code}.png"), 429, "throttled")

    def test_the_default_rate_applies_when_settings_name_none(self, api, settings, unit):
        rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
        rates.pop("verify", None)
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
        from certification.throttling import DEFAULT_VERIFY_RATE

        limit = int(DEFAULT_VERIFY_RATE.split("/")[0])
        statuses = [api.get(f"/api/v1/verify/{unit.trace_code}").status_code for _ in range(limit + 1)]
        assert statuses[:limit] == [200] * limit and statuses[-1] == 429


def response_text(api, code):
    return api.get(f"/api/v1/verify/{code}").content.decode()


class TestLabel:
    def fetch(self, api, unit):
        response = api.get(f"/api/v1/labels/{unit.trace_code}.png")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        return Image.open(io.BytesIO(response.content))

    def test_the_label_qr_decodes_to_the_public_page(self, api, unit):
        zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR code (pip install zxing-cpp)")
        image = self.fetch(api, unit)
        results = zxingcpp.read_barcodes(image)
        assert [result.text for result in results] == [verify_url(unit.trace_code)]
        assert results[0].format == zxingcpp.BarcodeFormat.QRCode

    def test_the_label_carries_the_qr_matrix_of_the_public_page(self, api, unit):
        """Without a decoder: the QR pasted on the label is exactly segno's encoding of the page URL."""
        from certification.labels import HEIGHT, MARGIN, QR_BOX

        image = self.fetch(api, unit).convert("L")
        expected = qr_image(verify_url(unit.trace_code), QR_BOX)
        top = (HEIGHT - expected.height) // 2
        pasted = image.crop((MARGIN, top, MARGIN + expected.width, top + expected.height))
        assert list(pasted.getdata()) == list(expected.getdata())
        matrix = segno.make(verify_url(unit.trace_code), error="m", micro=False).matrix
        scale = expected.width // (len(matrix) + 8)
        for row_index, row in enumerate(matrix):
            for col_index, dark in enumerate(row):
                x, y = (col_index + 4) * scale + scale // 2, (row_index + 4) * scale + scale // 2
                assert (expected.getpixel((x, y)) < 128) == bool(dark)

    def test_the_label_says_which_font_it_used(self, api, unit):
        from certification.labels import font_is_cjk

        response = api.get(f"/api/v1/labels/{unit.trace_code}.png")
        assert response["X-Label-Font"] == ("cjk" if font_is_cjk() else "fallback")

    def test_without_a_cjk_font_the_label_still_renders(self, api, unit, monkeypatch):
        from certification import labels

        monkeypatch.setattr(labels, "cjk_font_path", lambda: None)
        response = api.get(f"/api/v1/labels/{unit.trace_code}.png", HTTP_ACCEPT="image/png")
        assert response.status_code == 200 and response["X-Label-Font"] == "fallback"
        assert labels._text("粤再生") == "yue zai sheng"
        Image.open(io.BytesIO(response.content)).verify()

    def test_unknown_codes_and_certificate_numbers_have_no_label(self, api, certificate):
        assert_error_shape(api.get(f"/api/v1/labels/{certificate.number}.png"), 404, "not_found")
        assert_error_shape(api.get(f"/api/v1/labels/{codes.new_trace_code()}.png", HTTP_ACCEPT="image/png"), 404)


@pytest.mark.urls("tests.certification.urls")
class TestVerifyPage:
    def test_chinese_by_default_with_the_facts_a_buyer_needs(self, client, unit, certificate):
        response = client.get(f"/verify/{unit.trace_code}", HTTP_ACCEPT_LANGUAGE="zh-hans")
        html = response.content.decode()
        assert response.status_code == 200 and response["Content-Language"] == "zh-hans"
        assert '<html lang="zh-hans">' in html
        assert "验证再制造产品" in html and "有效" in html and "再制造过程" in html and "旧件回收" in html
        for fact in (codes.format_trace_code(unit.trace_code), certificate.number, certificate.holder.name,
                     certificate.issuer.name, "GB/T 28618-2012"):
            assert fact in html
        assert 'name="viewport"' in html
        for private in ("SN-INTERNAL-001", "内部备注", unit.created_by.public_name):
            assert private not in html

    def test_english_by_accept_language(self, client, unit):
        html = client.get(f"/verify/{unit.trace_code}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<html lang="en">' in html and "Verify a remanufactured product" in html and "Valid" in html
        assert "Intact (5 steps)" in html

    def test_lang_parameter_wins_over_the_header(self, client, unit):
        html = client.get(f"/verify/{unit.trace_code}?lang=en", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert '<html lang="en">' in html and "Core intake" in html
        html = client.get(f"/verify/{unit.trace_code}?lang=zh-hans", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<html lang="zh-hans">' in html and "旧件回收" in html

    def test_a_revoked_certificate_is_shown_as_such(self, client, certificate, body_admin):
        services.revoke_certificate(certificate, actor=body_admin, reason="拒不整改")
        html = client.get(f"/verify/{certificate.number}?lang=en").content.decode()
        assert "status-revoked" in html and "Revoked" in html

    def test_unknown_code_is_a_404_page(self, client, db):
        response = client.get("/verify/ABCD-EFGH-JKLM?lang=en")
        assert response.status_code == 404
        assert "No certified unit or certificate has the code" in response.content.decode()

    def test_the_page_is_throttled_like_the_api(self, client, settings, unit):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "verify": "2/min"},
        }
        statuses = [client.get(f"/verify/{unit.trace_code}").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


def test_expired_by_date_reads_expired_publicly(api, certificate):
    from datetime import timedelta

    from django.utils import timezone

    Certificate.objects.filter(pk=certificate.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert api.get(f"/api/v1/verify/{certificate.number}").json()["certificate"]["status"] == "expired"


def test_units_without_a_certificate_say_so(api, reman, reman_member):
    unit = make_unit(reman_member, reman)
    data = api.get(f"/api/v1/verify/{unit.trace_code}").json()
    assert data["certificate"] is None and data["unit"]["chain"]["ok"]


def test_the_label_carries_the_gb_t_39895_content(unit, certificate):
    from certification.labels import label_content

    content = label_content(unit)
    assert content.trace_code == unit.trace_code
    assert content.remanufacturer == unit.manufacturer.name
    assert content.standard == certificate.standard == "GB/T 28618-2012"
    assert content.remanufactured_on == unit.remanufactured_on.isoformat()
    assert (content.batch, content.certificate_number) == ("B2026-01", certificate.number)


def test_errors_are_answered_in_chinese_for_chinese_clients(api, db):
    api.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = assert_error_shape(api.get("/api/v1/verify/ABCD-EFGH-JKLM"), 404, "not_found")
    assert body["detail"] == "没有找到使用该编码的认证产品或证书，请检查是否输入有误。"


PRIVATE_TRACE_TEXTS = ("持证报废机动车回收拆解企业", "外壳完好，轴承磨损", "全部拆解", "超声波清洗", "客户王五的车上拆下")
PUBLIC_DATA_KEYS = {
    "core_intake": set(), "disassembly": set(), "cleaning": set(), "part_replacement": {"parts"},
    "repair": {"parts"}, "final_test": {"result", "measurements", "standard"}, "warranty_start": {"months"},
    "sale": {"channel"},
}


class TestPublicTraceData:
    """Only structured facts and the remanufacturer's public_summary leave the chain; free texts stay internal."""

    @pytest.fixture
    def repaired_unit(self, unit, reman_member):
        from django.utils import timezone

        services.append_trace_event(unit, actor=reman_member, kind="repair", occurred_at=timezone.now(), data={
            "description": "客户王五的车上拆下，定子重绕", "parts": [{"name": "定子", "part_number": "ST-1", "origin": "new"}],
            "public_summary": "定子重绕，性能按新品检测",
        })
        return unit

    def test_each_kind_shows_only_its_structured_fields(self, api, repaired_unit):
        response = api.get(f"/api/v1/verify/{repaired_unit.trace_code}")
        events = response.json()["unit"]["events"]
        for event in events:
            assert set(event["data"]) - {"public_summary"} <= PUBLIC_DATA_KEYS[event["kind"]], event
        by_kind = {event["kind"]: event["data"] for event in events}
        assert by_kind["core_intake"] == {} and by_kind["disassembly"] == {} and by_kind["cleaning"] == {}
        assert by_kind["part_replacement"] == {"parts": [{"name": "轴承", "part_number": "6203", "origin": "new"}]}
        assert by_kind["final_test"] == {"result": "pass", "measurements": {"output_a": 90, "voltage_v": 14.2}}
        assert by_kind["repair"] == {"parts": [{"name": "定子", "part_number": "ST-1", "origin": "new"}],
                                     "public_summary": "定子重绕，性能按新品检测"}
        text = response.content.decode()
        for private in PRIVATE_TRACE_TEXTS:
            assert private not in text

    def test_the_remanufacturer_still_sees_everything(self, client_for, repaired_unit, reman_member):
        events = client_for(reman_member).get(f"/api/v1/units/{repaired_unit.trace_code}/events/").json()
        assert events[0]["data"] == {"source": "持证报废机动车回收拆解企业", "condition": "外壳完好，轴承磨损"}
        assert events[-1]["data"]["description"] == "客户王五的车上拆下，定子重绕"

    def test_the_chain_still_verifies_with_the_stored_data(self, api, repaired_unit):
        assert api.get(f"/api/v1/verify/{repaired_unit.trace_code}").json()["unit"]["chain"]["ok"] is True

    @pytest.mark.urls("tests.certification.urls")
    def test_the_page_shows_the_public_summary_but_no_free_text(self, client, repaired_unit):
        html = client.get(f"/verify/{repaired_unit.trace_code}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "定子重绕，性能按新品检测" in html
        for private in PRIVATE_TRACE_TEXTS:
            assert private not in html


@pytest.mark.urls("tests.certification.urls")
class TestVerifyPageForScanners:
    def test_a_valid_certificate_opens_with_a_banner(self, client, unit):
        html = client.get(f"/verify/{unit.trace_code}", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert '<p class="banner banner-ok" role="status">真品认证有效<span class="banner-other" lang="en">Certificate valid</span></p>' in html
        assert html.index('class="banner') < html.index("<h1>")
        html = client.get(f"/verify/{unit.trace_code}?lang=en").content.decode()
        assert '<p class="banner banner-ok" role="status">Certificate valid<span class="banner-other" lang="zh-Hans">' in html

    def test_a_failing_status_is_the_banner(self, client, certificate, body_admin, unit):
        services.revoke_certificate(certificate, actor=body_admin, reason="不合格")
        html = client.get(f"/verify/{unit.trace_code}?lang=en").content.decode()
        assert '<p class="banner banner-bad" role="status">Certificate revoked<span class="banner-other" lang="zh-Hans">证书已撤销</span></p>' in html
        html = client.get(f"/verify/{certificate.number}?lang=zh-hans").content.decode()
        assert "banner-bad" in html and "证书已撤销" in html

    def test_an_unknown_code_and_an_uncertified_unit_say_so_first(self, client, reman, reman_member):
        html = client.get(f"/verify/{codes.new_trace_code()}?lang=en").content.decode()
        assert "banner-bad" in html and "Not found" in html
        uncertified = make_unit(reman_member, reman)
        html = client.get(f"/verify/{uncertified.trace_code}?lang=en").content.decode()
        assert '<p class="banner banner-warn" role="status">Not covered by a certificate<span' in html

    def test_the_language_switch_marks_the_active_language(self, client, unit):
        html = client.get(f"/verify/{unit.trace_code}?lang=en").content.decode()
        assert 'hreflang="en" aria-current="true">English</a>' in html
        assert 'hreflang="zh-Hans">中文</a>' in html
        html = client.get(f"/verify/{unit.trace_code}?lang=zh-hans").content.decode()
        assert 'hreflang="zh-Hans" aria-current="true">中文</a>' in html
        assert "min-height: 2.75rem" in html  # a thumb-sized target

    def test_the_chinese_warranty_line_uses_the_full_width_colon(self, client, sold_unit):
        html = client.get(f"/verify/{sold_unit.trace_code}?lang=zh-hans").content.decode()
        assert "24 个月：主要部件两年保修" in html
        html = client.get(f"/verify/{sold_unit.trace_code}?lang=en").content.decode()
        assert "24 months: Two years on the main parts" in html


# Issue 22, item 21: a revoked (or suspended, or expired) certificate's public page showed the
# green "intact" chain pill and the warranty as if valid. Everything follows the certificate now.

def _make_not_valid(status, certificate, body_admin):
    from datetime import timedelta

    from django.utils import timezone

    if status == "revoked":
        services.revoke_certificate(certificate, actor=body_admin, reason="不合格")
    elif status == "suspended":
        services.suspend_certificate(certificate, actor=body_admin, reason="监督审核")
    else:  # past its last valid day, before the daily task marks it
        Certificate.objects.filter(pk=certificate.pk).update(
            issued_on=timezone.localdate() - timedelta(days=400), valid_until=timezone.localdate() - timedelta(days=1)
        )


@pytest.fixture
def bought_unit(sold_unit):
    """The unit's listing is sold: its warranty stays on the public page for the buyer."""
    from listings.models import Listing, ListingState

    sold_unit.refresh_from_db()
    Listing.objects.filter(pk=sold_unit.listing_id).update(state=ListingState.SOLD)
    return sold_unit


WARRANTY_WHEN = {
    "revoked": ("void", "Void: the certificate was revoked.", "作废：证书已撤销。"),
    "suspended": ("suspended", "Not valid: the certificate is suspended.", "无效：证书已暂停。"),
    "expired": ("not_valid", "Not valid: the certificate has expired.", "无效：证书已过期。"),
}
BANNER_WHEN = {
    "revoked": ("Certificate revoked", "证书已撤销"),
    "suspended": ("Certificate suspended", "证书已暂停"),
    "expired": ("Certificate expired", "证书已过期"),
}


@pytest.mark.parametrize("status", ["revoked", "suspended", "expired"])
class TestACertificateThatIsNotValid:
    def test_the_json_verdict_and_warranty_say_not_valid(self, api, bought_unit, certificate, body_admin, status):
        _make_not_valid(status, certificate, body_admin)
        data = api.get(f"/api/v1/verify/{bought_unit.trace_code}").json()

        assert data["certificate"]["status"] == status
        assert data["verdict"] == {"valid": False, "level": "bad", "reason": f"certificate_{status}",
                                   "message": BANNER_WHEN[status][0]}
        code, english, _chinese = WARRANTY_WHEN[status]
        assert data["warranty"] == {"months": 24, "coverage": "Two years on the main parts", "valid": False,
                                    "status": code, "status_display": english}
        # The record itself is still intact: a fact, reported as such, not as a reason to trust.
        assert data["unit"]["chain"]["ok"] is True

    def test_the_certificate_number_lookup_has_the_same_verdict(self, api, certificate, body_admin, status):
        _make_not_valid(status, certificate, body_admin)
        data = api.get(f"/api/v1/verify/{certificate.number}").json()
        assert data["verdict"]["valid"] is False and data["verdict"]["level"] == "bad"

    @pytest.mark.urls("tests.certification.urls")
    @pytest.mark.parametrize("language", ["en", "zh-hans"])
    def test_the_page_has_a_red_banner_no_green_pill_and_a_void_warranty(self, client, bought_unit, certificate,
                                                                         body_admin, status, language):
        _make_not_valid(status, certificate, body_admin)
        html = client.get(f"/verify/{bought_unit.trace_code}?lang={language}").content.decode()

        english, chinese = BANNER_WHEN[status]
        first, second = (english, chinese) if language == "en" else (chinese, english)
        assert f'<p class="banner banner-bad" role="status">{first}<span class="banner-other"' in html
        assert f">{second}</span></p>" in html  # both languages, whichever the page speaks
        for green in ('class="status chain-ok"', 'class="status status-valid"', "banner banner-ok"):
            assert green not in html
        assert 'class="status chain-neutral"' in html  # the chain pill is there, grey
        assert ("Intact (6 steps)" if language == "en" else "完整（6 个环节）") in html
        _code, warranty_en, warranty_zh = WARRANTY_WHEN[status]
        assert (warranty_en if language == "en" else warranty_zh) in html
        assert 'class="card card-void"' in html and "<del>" in html  # the offered terms are struck through
        assert f'class="status status-{status}"' in html


@pytest.mark.urls("tests.certification.urls")
class TestAValidCertificatePage:
    def test_a_valid_certificate_keeps_the_green_pill_and_the_warranty(self, client, bought_unit):
        html = client.get(f"/verify/{bought_unit.trace_code}?lang=en").content.decode()
        assert 'banner banner-ok' in html and 'class="status chain-ok"' in html and 'class="status status-valid"' in html
        assert 'class="card card-void"' not in html and "<del>" not in html
        assert "24 months: Two years on the main parts" in html

    def test_the_page_says_which_time_zone_its_dates_are_in(self, client, bought_unit):
        html = client.get(f"/verify/{bought_unit.trace_code}?lang=en").content.decode()
        assert "Dates in local time (UTC+08:00)." in html
        html = client.get(f"/verify/{bought_unit.trace_code}?lang=zh-hans").content.decode()
        assert "日期为当地时间（UTC+08:00）。" in html

    def test_an_altered_record_is_never_green_even_with_a_valid_certificate(self, client, api, unit):
        from django.db import connection

        from certification.models import TraceEvent

        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE certification_traceevent DISABLE TRIGGER certification_traceevent_append_only")
            cursor.execute(f"UPDATE {TraceEvent._meta.db_table} SET kind = 'repair' WHERE unit_id = %s AND sequence = 2",
                           [unit.pk])
        assert api.get(f"/api/v1/verify/{unit.trace_code}").json()["verdict"]["reason"] == "trace_altered"
        html = client.get(f"/verify/{unit.trace_code}?lang=en").content.decode()
        assert "banner banner-bad" in html and 'class="status chain-bad"' in html
        assert 'class="status chain-ok"' not in html


def test_a_unit_without_a_certificate_offers_no_valid_warranty(api, reman, reman_admin, reman_member, certificate):
    unit = make_unit(reman_member, reman, certificate=certificate)
    listing = ListingFactory(remanufactured=True, seller=reman_admin, organization=reman)
    services.link_listing_certificate(listing, actor=reman_admin, certificate=certificate, warranty_months=6,
                                      coverage_zh="半年", coverage_en="Six months", unit_codes=[unit.trace_code])
    active(listing)
    from certification.models import RemanufacturedUnit

    RemanufacturedUnit.objects.filter(pk=unit.pk).update(certificate=None)
    data = api.get(f"/api/v1/verify/{unit.trace_code}").json()
    assert data["verdict"]["reason"] == "not_certified" and data["verdict"]["valid"] is False
    assert data["warranty"]["valid"] is False and data["warranty"]["status"] == "not_valid"
