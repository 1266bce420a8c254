"""Remanufactured and data-erasure rules keep holding while a listing is on sale; other review fixes:
unit certificates, reasons required, constant-query coverage, no id probing, verified remanufacturers."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import VerificationStatus
from certification import services
from certification.models import RemanufacturedUnit, TraceEventKind
from certification.selectors import certificate_covers
from listings import lifecycle
from listings.models import Category, Listing, ListingKind, ListingTransition
from marketplace.errors import Conflict, DomainError, NotAllowed
from notifications.models import Notification
from tests.certification.factories import add_photo, issue, make_unit
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, category

pytestmark = pytest.mark.django_db


def fresh(listing):
    return Listing.objects.get(pk=listing.pk)


def link(listing, actor, certificate, units, **extra):
    return services.link_listing_certificate(
        listing, actor=actor, certificate=certificate, warranty_months=12, coverage_zh="整机保修一年",
        unit_codes=[unit.trace_code for unit in units], **extra,
    )


def final_test(unit, member, result):
    last = unit.events.order_by("-sequence").first()
    return services.append_trace_event(unit, actor=member, kind=TraceEventKind.FINAL_TEST,
                                       occurred_at=max(timezone.now() - timedelta(minutes=1), last.occurred_at),
                                       data={"result": result})


@pytest.fixture
def on_sale(reman_listing, reman_admin, certificate, unit):
    """An active remanufactured listing of quantity 1 with its one tested unit (published for real)."""
    link(reman_listing, reman_admin, certificate, [unit])
    add_photo(reman_listing)
    return lifecycle.publish(reman_listing, actor=reman_admin)


class TestEditsOnSale:
    def test_raising_the_quantity_beyond_the_tested_units_is_409(self, client_for, on_sale, reman_admin):
        response = client_for(reman_admin).patch(f"/api/v1/listings/{on_sale.pk}/", {"quantity": 5}, format="json")
        body = assert_error_shape(response, 409, "not_publishable")
        assert "1 of 5 are ready" in body["detail"]
        assert fresh(on_sale).quantity == 1

    def test_the_quantity_may_follow_the_units(self, on_sale, reman_admin, reman_member, reman, certificate, unit):
        second = make_unit(reman_member, reman, certificate=certificate)
        link(on_sale, reman_admin, certificate, [unit, second])
        from listings import services as listing_services

        assert listing_services.update_listing(on_sale, actor=reman_admin, quantity=2).quantity == 2

    def test_unlinking_the_units_of_an_active_listing_is_409_and_keeps_them(self, client_for, on_sale, reman_admin,
                                                                           certificate, unit):
        response = client_for(reman_admin).put(
            f"/api/v1/listings/{on_sale.pk}/certification/",
            {"certificate": certificate.pk, "warranty_months": 12, "coverage_zh": "一年", "unit_codes": []}, format="json",
        )
        body = assert_error_shape(response, 409, "not_publishable")
        assert "0 of 1 are ready" in body["detail"]
        unit.refresh_from_db()
        assert unit.listing_id == on_sale.pk

    def test_a_reserved_listing_is_held_to_the_rules_too(self, on_sale, reman_admin, certificate):
        reserved = lifecycle.reserve(on_sale, actor=reman_admin)
        with pytest.raises(Conflict) as caught:
            link(reserved, reman_admin, certificate, [])
        assert caught.value.code == "not_publishable"

    def test_a_draft_may_be_relinked_freely(self, reman_listing, reman_admin, certificate, unit):
        link(reman_listing, reman_admin, certificate, [unit])
        link(reman_listing, reman_admin, certificate, [])
        assert not RemanufacturedUnit.objects.filter(listing=reman_listing).exists()


class TestUnitCertificates:
    def test_a_unit_of_another_certificate_is_400(self, client_for, reman_listing, reman_admin, reman_member, reman,
                                                  body_admin, body, certificate):
        other = issue(body_admin, body, reman)
        foreign = make_unit(reman_member, reman, certificate=other)
        response = client_for(reman_admin).put(
            f"/api/v1/listings/{reman_listing.pk}/certification/",
            {"certificate": certificate.pk, "warranty_months": 12, "coverage_zh": "一年", "unit_codes": [foreign.trace_code]},
            format="json",
        )
        body_json = assert_error_shape(response, 400, "unit_certificate_mismatch")
        assert "unit_codes" in body_json["errors"]

    def test_a_unit_without_a_certificate_is_400(self, reman_listing, reman_admin, reman_member, reman, certificate):
        uncertified = make_unit(reman_member, reman, certificate=None)
        with pytest.raises(DomainError) as caught:
            link(reman_listing, reman_admin, certificate, [uncertified])
        assert caught.value.code == "unit_certificate_mismatch"


class TestFailedFinalTest:
    def test_a_later_failed_test_suspends_the_listing_and_a_passed_retest_reinstates_it(self, on_sale, unit, reman_member,
                                                                                      reman_admin):
        final_test(unit, reman_member, "fail")
        listing = fresh(on_sale)
        assert (listing.state, listing.suspension_sources) == ("suspended", ["compliance"])
        assert "0 of 1 are ready" in listing.suspension_reason
        assert Notification.objects.filter(recipient=reman_admin, kind="listing_suspended").exists()
        transition = ListingTransition.objects.filter(listing=listing).latest("id")
        assert (transition.source, transition.actor) == ("compliance", None)

        final_test(unit, reman_member, "pass")
        listing = fresh(on_sale)
        assert (listing.state, listing.suspension_sources, listing.suspension_reason) == ("active", [], "")

    def test_linking_a_passed_unit_instead_reinstates_it(self, on_sale, unit, reman, reman_member, reman_admin, certificate):
        final_test(unit, reman_member, "fail")
        replacement = make_unit(reman_member, reman, certificate=certificate)
        link(fresh(on_sale), reman_admin, certificate, [replacement])
        assert fresh(on_sale).state == "active"

    def test_a_unit_in_no_listing_or_in_a_draft_changes_nothing(self, reman_listing, reman_admin, certificate, unit,
                                                               reman_member):
        link(reman_listing, reman_admin, certificate, [unit])
        final_test(unit, reman_member, "fail")
        assert fresh(reman_listing).state == "draft"

    def test_the_certificate_cascade_and_compliance_are_separate_sources(self, on_sale, unit, reman_member, certificate,
                                                                         body_admin):
        final_test(unit, reman_member, "fail")
        services.suspend_certificate(certificate, actor=body_admin, reason="监督审核")
        assert fresh(on_sale).suspension_sources == ["compliance", "certificate"]
        services.reinstate_certificate(certificate, actor=body_admin)
        assert fresh(on_sale).suspension_sources == ["compliance"]
        final_test(unit, reman_member, "pass")
        assert fresh(on_sale).state == "active"


def erasure(listing, actor, result):
    return services.record_data_erasure(
        listing, actor=actor, method="purge", performed_on=timezone.localdate(), device_serial_last4="4821",
        tool="Blancco", operator_name="李工", verification_method="抽样读取", verification_result=result,
    )


@pytest.fixture
def merchant_phone_on_sale(merchant, merchant_admin):
    listing = ListingFactory(seller=merchant_admin, organization=merchant, kind=ListingKind.SECOND_HAND,
                             category=category("phones"), title="二手手机", grade_code="A")
    erasure(listing, merchant_admin, "passed")
    add_photo(listing)
    return lifecycle.publish(listing, actor=merchant_admin)


class TestFailedErasure:
    def test_a_failed_verification_suspends_and_a_passed_one_reinstates(self, merchant_phone_on_sale, merchant_admin):
        erasure(merchant_phone_on_sale, merchant_admin, "failed")
        listing = fresh(merchant_phone_on_sale)
        assert (listing.state, listing.suspension_sources) == ("suspended", ["compliance"])
        assert "failed its verification" in listing.suspension_reason
        erasure(merchant_phone_on_sale, merchant_admin, "passed")
        assert fresh(merchant_phone_on_sale).state == "active"

    def test_a_residents_failed_record_takes_their_phone_off_sale_too(self, user):
        phone = ListingFactory(seller=user, kind=ListingKind.SECOND_HAND, category=category("phones"), grade_code="A")
        add_photo(phone)
        phone = lifecycle.publish(phone, actor=user)
        services.record_data_erasure(phone, actor=user, method="factory_reset", performed_on=timezone.localdate(),
                                     device_serial_last4="1234", verification_result="failed")
        assert fresh(phone).suspension_sources == ["compliance"]


class TestTraceNeedsAVerifiedRemanufacturer:
    def test_an_unverified_remanufacturer_cannot_append(self, unit, reman, reman_member):
        type(reman).objects.filter(pk=reman.pk).update(verification_status=VerificationStatus.PENDING)
        with pytest.raises(NotAllowed) as caught:
            final_test(unit, reman_member, "pass")
        assert caught.value.code == "organization_not_verified"


class TestCoverage:
    def test_certificate_covers_costs_at_most_two_queries_however_deep(self, django_assert_max_num_queries, certificate):
        parent = category("auto-parts")
        for depth in range(8):
            parent = Category.objects.create(parent=parent, slug=f"deep-{depth}", name_zh=f"深{depth}", name_en=f"deep {depth}")
        phones = category("phones")
        with django_assert_max_num_queries(2):
            assert certificate_covers(certificate, parent)
        with django_assert_max_num_queries(2):
            assert not certificate_covers(certificate, phones)

    def test_a_direct_hit_needs_no_tree(self, django_assert_max_num_queries, certificate):
        auto_parts = category("auto-parts")
        with django_assert_max_num_queries(1):
            assert certificate_covers(certificate, auto_parts)


class TestNoProbing:
    @pytest.mark.parametrize("path", ["history", "documents"])
    def test_anonymous_get_401_for_existing_and_missing_ids(self, api, certificate, path):
        assert_error_shape(api.get(f"/api/v1/certificates/{certificate.pk}/{path}/"), 401)
        assert_error_shape(api.get(f"/api/v1/certificates/{certificate.pk + 1000}/{path}/"), 401)


class TestReasons:
    @pytest.mark.parametrize("verb", ["suspend", "revoke"])
    @pytest.mark.parametrize("payload", [{}, {"reason": ""}, {"reason": "   "}])
    def test_a_missing_reason_is_a_validation_error(self, client_for, certificate, body_admin, verb, payload):
        response = client_for(body_admin).post(f"/api/v1/certificates/{certificate.pk}/{verb}/", payload, format="json")
        body = assert_error_shape(response, 400, "validation_error")
        assert "reason" in body["errors"]
        certificate.refresh_from_db()
        assert certificate.status == "valid"

    def test_reinstating_needs_no_reason(self, client_for, certificate, body_admin):
        services.suspend_certificate(certificate, actor=body_admin, reason="审核")
        response = client_for(body_admin).post(f"/api/v1/certificates/{certificate.pk}/reinstate/", {}, format="json")
        assert response.status_code == 200


def test_every_domain_error_of_the_apps_has_a_code():
    """No DomainError/Conflict is raised without a code (it would answer the unlisted type "invalid")."""
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    missing = []
    for app in ("listings", "grading", "certification"):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = getattr(node, "func", None)
                name = getattr(name, "id", getattr(name, "attr", None))
                raised = isinstance(node, ast.Call) and name in ("DomainError", "Conflict")
                if raised and not any(keyword.arg in ("code", None) for keyword in node.keywords):
                    missing.append(f"{path.relative_to(root)}:{node.lineno}")
    assert missing == []


def test_an_unknown_trace_code_names_its_type(client_for, reman_listing, reman_admin, certificate):
    response = client_for(reman_admin).put(
        f"/api/v1/listings/{reman_listing.pk}/certification/",
        {"certificate": certificate.pk, "warranty_months": 12, "coverage_zh": "一年", "unit_codes": ["23456789ABCD"]},
        format="json",
    )
    assert_error_shape(response, 400, "unknown_unit")


def test_an_event_in_the_future_is_invalid_date(client_for, unit, reman_member):
    response = client_for(reman_member).post(f"/api/v1/units/{unit.trace_code}/events/", {
        "kind": "final_test", "occurred_at": (timezone.now() + timedelta(days=1)).isoformat(), "data": {"result": "pass"},
    }, format="json")
    assert_error_shape(response, 400, "invalid_date")


def test_a_certificate_for_a_non_remanufacturer_still_has_its_code(body_admin, body, merchant):
    with pytest.raises(DomainError) as caught:
        issue(body_admin, body, merchant)
    assert caught.value.code == "holder_not_remanufacturer"

