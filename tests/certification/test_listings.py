"""Remanufactured listings: certificate link, warranty, publish rules; data erasure for used electronics."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from certification import services
from certification.models import Certificate, DataErasureRecord, ListingCertification
from listings import eligibility, lifecycle
from listings.models import ListingKind, ListingState
from tests.certification.factories import FULL_CHAIN, RemanufacturerFactory, add_photo, issue, make_unit
from tests.factories import member_of
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, active, category


def link_payload(certificate, units, **changes):
    payload = {"certificate": certificate.pk, "warranty_months": 12, "coverage_zh": "发电机整机保修一年",
               "coverage_en": "One year on the whole alternator", "unit_codes": [unit.trace_code for unit in units]}
    payload.update(changes)
    return payload


def reasons(listing):
    """The messages of every reason why the listing may not be published now."""
    return [problem.message for problem in eligibility.problems(listing)]


def url(listing, path="certification"):
    return f"/api/v1/listings/{listing.pk}/{path}/"


class TestLinkCertificate:
    def test_the_seller_links_certificate_warranty_and_units(self, client_for, reman_listing, reman_admin, certificate, unit):
        response = client_for(reman_admin).put(url(reman_listing), link_payload(certificate, [unit]), format="json")
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["certificate"]["number"] == certificate.number
        assert data["warranty"]["months"] == 12 and data["warranty"]["coverage"] == "One year on the whole alternator"
        assert data["unit_codes"] == [unit.trace_code]
        assert data["problems"] == []
        unit.refresh_from_db()
        assert unit.listing_id == reman_listing.pk

    @pytest.mark.parametrize("who", ["reman_member", "outsider", "staff", "user", "body_admin"])
    def test_only_the_seller_or_org_admins_link(self, who, client_for, reman_listing, certificate, unit, reman_member,
                                                outsider, staff, user, body_admin):
        users = {"reman_member": reman_member, "outsider": outsider, "staff": staff, "user": user, "body_admin": body_admin}
        response = client_for(users[who]).put(url(reman_listing), link_payload(certificate, [unit]), format="json")
        assert response.status_code in (403, 404)
        assert_error_shape(response, response.status_code)
        assert not ListingCertification.objects.exists()

    def test_anonymous_is_401(self, api, reman_listing, certificate, unit):
        assert_error_shape(api.put(url(reman_listing), link_payload(certificate, [unit]), format="json"), 401)

    def test_the_certificate_must_be_valid_and_cover_the_category(self, client_for, reman_listing, reman_admin, body_admin,
                                                                  body, reman, certificate, unit):
        client = client_for(reman_admin)
        office_only = issue(body_admin, body, reman, categories=("office-equipment",))
        assert "certificate" in assert_error_shape(client.put(url(reman_listing), link_payload(office_only, [unit]),
                                                              format="json"), 400)["errors"]
        foreign = issue(body_admin, body, RemanufacturerFactory())
        assert_error_shape(client.put(url(reman_listing), link_payload(foreign, [unit]), format="json"), 400)
        Certificate.objects.filter(pk=certificate.pk).update(status="suspended")
        assert_error_shape(client.put(url(reman_listing), link_payload(certificate, [unit]), format="json"), 409,
                           "certificate_not_valid")

    def test_units_must_be_the_sellers_tested_and_free(self, client_for, reman_listing, reman, reman_admin, reman_member,
                                                       certificate, unit, outsider):
        client = client_for(reman_admin)
        untested = make_unit(reman_member, reman, certificate=certificate, events=FULL_CHAIN[:3])
        response = client.put(url(reman_listing), link_payload(certificate, [untested]), format="json")
        assert "unit_codes" in assert_error_shape(response, 400)["errors"]
        response = client.put(url(reman_listing), link_payload(certificate, [], unit_codes=["ABCD-EFGH-JKLM"]), format="json")
        assert "unit_codes" in assert_error_shape(response, 400)["errors"]
        other_listing = ListingFactory(remanufactured=True, seller=reman_admin, organization=reman)
        services.link_listing_certificate(other_listing, actor=reman_admin, certificate=certificate, warranty_months=6,
                                          coverage_zh="保修", unit_codes=[unit.trace_code])
        assert_error_shape(client.put(url(reman_listing), link_payload(certificate, [unit]), format="json"), 409, "unit_taken")

    def test_only_remanufactured_listings_of_a_remanufacturer(self, client_for, merchant, merchant_admin, certificate, unit):
        listing = ListingFactory(remanufactured=True, seller=merchant_admin, organization=merchant)
        assert_error_shape(client_for(merchant_admin).put(url(listing), link_payload(certificate, [unit]), format="json"),
                           400, "not_remanufacturer")
        second_hand = ListingFactory(seller=merchant_admin, organization=merchant, kind=ListingKind.SECOND_HAND)
        assert_error_shape(client_for(merchant_admin).put(url(second_hand), link_payload(certificate, [unit]), format="json"),
                           400, "not_remanufactured")

    def test_buyers_read_the_certification_and_warranty_of_public_listings_only(self, api, client_for, reman_listing,
                                                                                reman_admin, certificate, unit, user):
        services.link_listing_certificate(reman_listing, actor=reman_admin, certificate=certificate, warranty_months=12,
                                          coverage_zh="整机保修一年", coverage_en="One year", unit_codes=[unit.trace_code])
        assert_error_shape(api.get(url(reman_listing, "warranty")), 404)  # still a draft
        assert client_for(reman_admin).get(url(reman_listing, "warranty")).status_code == 200
        active(reman_listing)
        warranty = api.get(url(reman_listing, "warranty")).json()
        assert warranty == {"months": 12, "coverage": "One year", "coverage_zh": "整机保修一年", "coverage_en": "One year",
                            "certificate_number": certificate.number}
        zh = client_for(user)
        zh.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert zh.get(url(reman_listing, "warranty")).json()["coverage"] == "整机保修一年"
        assert api.get(url(reman_listing)).json()["certificate"]["number"] == certificate.number

    def test_reading_the_certification_costs_the_same_for_many_units(self, api, reman, reman_admin, reman_member,
                                                                     certificate, django_assert_max_num_queries):
        listing = ListingFactory(remanufactured=True, seller=reman_admin, organization=reman, quantity=6)
        units = [make_unit(reman_member, reman, certificate=certificate) for _ in range(6)]
        services.link_listing_certificate(listing, actor=reman_admin, certificate=certificate, warranty_months=12,
                                          coverage_zh="保修", unit_codes=[unit.trace_code for unit in units])
        active(listing)
        with django_assert_max_num_queries(10):
            data = api.get(url(listing)).json()
        assert len(data["unit_codes"]) == 6 and data["problems"] == []

    def test_a_sold_unit_cannot_be_offered_again(self, client_for, reman_listing, reman_admin, reman_member, unit):
        from django.utils import timezone as tz

        services.append_trace_event(unit, actor=reman_member, kind="sale", occurred_at=tz.now(), data={"channel": "offline"})
        response = client_for(reman_admin).put(url(reman_listing), link_payload(unit.certificate, [unit]), format="json")
        assert "unit_codes" in assert_error_shape(response, 400)["errors"]

    def test_a_listing_without_warranty_is_404(self, api, db):
        second_hand = active()
        assert_error_shape(api.get(url(second_hand, "warranty")), 404, "not_found")


class TestPublishRules:
    def publishable(self, listing):
        add_photo(listing)
        return listing

    def test_a_remanufactured_listing_needs_a_linked_certificate(self, reman_listing):
        problems = reasons(self.publishable(reman_listing))
        assert problems == ["Link the remanufacturing certificate and the warranty before publishing."]

    def test_it_needs_one_tested_unit_per_item(self, reman_listing, reman_admin, certificate, unit):
        reman_listing.quantity = 3
        reman_listing.save(update_fields=["quantity"])
        services.link_listing_certificate(reman_listing, actor=reman_admin, certificate=certificate, warranty_months=12,
                                          coverage_zh="保修", unit_codes=[unit.trace_code])
        assert reasons(self.publishable(reman_listing)) == [
            "Each item needs a traced unit that passed its final test: 1 of 3 are ready."
        ]

    def test_with_everything_in_place_it_publishes(self, reman_listing, reman_admin, certificate, unit):
        services.link_listing_certificate(reman_listing, actor=reman_admin, certificate=certificate, warranty_months=12,
                                          coverage_zh="保修", unit_codes=[unit.trace_code])
        listing = lifecycle.publish(self.publishable(reman_listing), actor=reman_admin)
        assert listing.state == ListingState.ACTIVE

    def test_a_certificate_that_lapsed_after_linking_blocks_publishing(self, reman_listing, reman_admin, certificate, unit,
                                                                       body_admin):
        services.link_listing_certificate(reman_listing, actor=reman_admin, certificate=certificate, warranty_months=12,
                                          coverage_zh="保修", unit_codes=[unit.trace_code])
        services.suspend_certificate(certificate, actor=body_admin, reason="监督抽查不合格")
        with pytest.raises(Exception) as refused:
            lifecycle.publish(self.publishable(reman_listing), actor=reman_admin)
        assert f"Certificate {certificate.number} is not valid now (Suspended: 监督抽查不合格)." in str(refused.value)
        assert refused.value.errors["certificate_not_valid"] == [
            f"Certificate {certificate.number} is not valid now (Suspended: 监督抽查不合格)."
        ]

    def test_a_remanufactured_listing_by_a_person_is_refused(self, user):
        listing = self.publishable(ListingFactory(remanufactured=True, seller=user))
        assert reasons(listing) == ["Remanufactured goods are sold by a verified remanufacturer."]

    def test_second_hand_listings_are_not_concerned(self, user):
        listing = self.publishable(ListingFactory(seller=user, kind=ListingKind.SECOND_HAND, grade_code="A"))
        assert reasons(listing) == []


def erasure_payload(**changes):
    payload = {"method": "purge", "tool": "Blancco Mobile Diagnostics & Erasure", "tool_version": "7.4",
               "operator_name": "李工", "performed_on": str(timezone.localdate()),
               "verification_method": "抽样读取全部存储分区，未发现用户数据", "verification_result": "passed",
               "device_serial_last4": "4821"}
    payload.update(changes)
    return payload


@pytest.fixture
def merchant_phone(merchant, merchant_admin):
    return ListingFactory(seller=merchant_admin, organization=merchant, kind=ListingKind.SECOND_HAND,
                          category=category("phones"), title="二手 iPhone 12", grade_code="A")


@pytest.fixture
def resident_phone(user):
    return ListingFactory(seller=user, kind=ListingKind.SECOND_HAND, category=category("phones"), title="自用手机", grade_code="A")


class TestDataErasure:
    def test_a_merchant_cannot_publish_a_used_phone_without_a_verified_record(self, merchant_phone, merchant_admin):
        add_photo(merchant_phone)
        with pytest.raises(Exception) as refused:
            lifecycle.publish(merchant_phone, actor=merchant_admin)
        assert "Record a verified data sanitization (NIST SP 800-88)" in str(refused.value)

    def test_with_a_verified_record_it_publishes_and_buyers_see_it_without_the_operator(
        self, client_for, api, merchant_phone, merchant_admin
    ):
        response = client_for(merchant_admin).post(url(merchant_phone, "data-erasure"), erasure_payload(), format="json")
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "verified" and response.json()["record"]["operator_name"] == "李工"
        add_photo(merchant_phone)
        assert lifecycle.publish(merchant_phone, actor=merchant_admin).state == ListingState.ACTIVE

        public = api.get(url(merchant_phone, "data-erasure")).json()
        assert set(public) == {"required", "status", "status_display", "reminder", "record"}
        assert (public["required"], public["status"], public["status_display"]) == (True, "verified", "Data erased, verified.")
        assert set(public["record"]) == {"method", "tool", "tool_version", "performed_on", "verification_method",
                                         "verification_result", "device_serial_last4", "self_declared", "created_at"}
        assert "李工" not in str(public)

    def test_a_failed_verification_does_not_count(self, client_for, merchant_phone, merchant_admin):
        client_for(merchant_admin).post(url(merchant_phone, "data-erasure"), erasure_payload(verification_result="failed"),
                                        format="json")
        add_photo(merchant_phone)
        assert any("failed its verification" in problem for problem in reasons(merchant_phone))

    def test_organizations_cannot_self_declare_a_factory_reset(self, client_for, merchant_phone, merchant_admin):
        response = client_for(merchant_admin).post(url(merchant_phone, "data-erasure"),
                                                   erasure_payload(method="factory_reset"), format="json")
        assert "method" in assert_error_shape(response, 400)["errors"]
        response = client_for(merchant_admin).post(url(merchant_phone, "data-erasure"), erasure_payload(tool=""), format="json")
        assert "tool" in assert_error_shape(response, 400)["errors"]
        assert not DataErasureRecord.objects.exists()

    def test_a_resident_may_publish_and_is_reminded(self, client_for, api, resident_phone, user):
        add_photo(resident_phone)
        client = client_for(user)
        block = client.get(url(resident_phone, "data-erasure")).json()
        assert block["required"] is True and block["status"] == "missing"
        assert "restore factory settings" in block["reminder"]
        assert lifecycle.publish(resident_phone, actor=user).state == ListingState.ACTIVE

        response = client.post(url(resident_phone, "data-erasure"),
                               {"method": "factory_reset", "performed_on": str(timezone.localdate()),
                                "device_serial_last4": "0042"}, format="json")
        assert response.status_code == 201, response.content
        public = api.get(url(resident_phone, "data-erasure")).json()
        assert public["status"] == "self_declared" and public["record"]["self_declared"] is True
        assert public["status_display"] == "Factory reset declared by the seller (not verified)."

    def test_organizations_get_no_resident_reminder(self, client_for, merchant_phone, merchant_admin):
        assert client_for(merchant_admin).get(url(merchant_phone, "data-erasure")).json()["reminder"] == ""

    def test_other_categories_need_no_record(self, client_for, merchant, merchant_admin):
        listing = ListingFactory(seller=merchant_admin, organization=merchant, kind=ListingKind.SECOND_HAND,
                                 category=category("furniture"))
        assert client_for(merchant_admin).get(url(listing, "data-erasure")).json()["required"] is False
        response = client_for(merchant_admin).post(url(listing, "data-erasure"), erasure_payload(), format="json")
        assert_error_shape(response, 400, "not_required")

    @pytest.mark.parametrize("who", ["merchant_member", "outsider", "staff"])
    def test_only_the_seller_or_org_admins_record(self, who, client_for, merchant, merchant_phone, outsider, staff):
        users = {"merchant_member": member_of(merchant, Role.MEMBER), "outsider": outsider, "staff": staff}
        response = client_for(users[who]).post(url(merchant_phone, "data-erasure"), erasure_payload(), format="json")
        assert response.status_code in (403, 404)
        assert_error_shape(response, response.status_code)

    def test_anonymous_and_strangers_do_not_see_drafts(self, api, client_for, merchant_phone, other_user):
        assert_error_shape(api.get(url(merchant_phone, "data-erasure")), 404)
        assert_error_shape(client_for(other_user).get(url(merchant_phone, "data-erasure")), 404)
        assert_error_shape(api.post(url(merchant_phone, "data-erasure"), erasure_payload(), format="json"), 401)

    def test_the_date_cannot_be_in_the_future(self, client_for, merchant_phone, merchant_admin):
        tomorrow = str(timezone.localdate() + timedelta(days=1))
        response = client_for(merchant_admin).post(url(merchant_phone, "data-erasure"),
                                                   erasure_payload(performed_on=tomorrow), format="json")
        assert "performed_on" in assert_error_shape(response, 400)["errors"]


def test_unknown_listing_is_404(api, db):
    for path in ("certification", "warranty", "data-erasure"):
        assert_error_shape(api.get(f"/api/v1/listings/999999/{path}/"), 404, "not_found")
