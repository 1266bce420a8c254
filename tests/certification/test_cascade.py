"""A certificate that stops being valid suspends the listings relying on it, in the same transaction."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from certification import services
from certification.models import Certificate, CertificateStatus
from certification.tasks import expire_certificates
from listings import lifecycle
from listings.models import ListingState, ListingTransition, SuspensionSource
from listings.signals import listing_changed
from notifications.models import Notification
from tests.certification.factories import issue, make_unit
from tests.listings.factories import ListingFactory, active


@pytest.fixture
def linked(reman, reman_admin, reman_member, certificate):
    """Two active listings relying on the certificate, with their units."""
    listings = []
    for _ in range(2):
        listing = ListingFactory(remanufactured=True, seller=reman_admin, organization=reman)
        unit = make_unit(reman_member, reman, certificate=certificate)
        services.link_listing_certificate(
            listing, actor=reman_admin, certificate=certificate, warranty_months=12, coverage_zh="整机保修",
            unit_codes=[unit.trace_code],
        )
        listings.append(active(listing))
    return listings


@pytest.fixture
def changed_listings():
    seen = []

    def receiver(sender, listing, fields, **kwargs):
        seen.append((listing.pk, frozenset(fields)))

    listing_changed.connect(receiver)
    yield seen
    listing_changed.disconnect(receiver)


def states(listings):
    for listing in listings:
        listing.refresh_from_db()
    return [(listing.state, listing.suspension_sources) for listing in listings]


def test_suspending_the_certificate_suspends_its_listings_with_a_reason_and_a_notice(
    certificate, body_admin, linked, reman_admin, changed_listings, client_for,
):
    client_for(body_admin).post(f"/api/v1/certificates/{certificate.pk}/suspend/", {"reason": "监督抽查不合格"}, format="json")

    assert states(linked) == [("suspended", ["certificate"])] * 2
    for listing in linked:
        assert certificate.number in listing.suspension_reason and "监督抽查不合格" in listing.suspension_reason
        assert ListingTransition.objects.filter(listing=listing, to_state="suspended", source="certificate").count() == 1
        assert (listing.pk, frozenset({"state", "suspended_from_state", "suspension_sources", "suspension_reason"})) in changed_listings
    seller_notes = Notification.objects.filter(recipient=reman_admin, kind="listing_suspended")
    assert seller_notes.count() == 2 and all("监督抽查不合格" in note.body for note in seller_notes)
    assert Notification.objects.filter(recipient=reman_admin, kind="certificate_suspended").exists()


def test_reinstating_the_certificate_restores_its_listings(certificate, body_admin, linked):
    services.suspend_certificate(certificate, actor=body_admin, reason="监督抽查不合格")
    services.reinstate_certificate(certificate, actor=body_admin, reason="整改完成")
    assert states(linked) == [("active", [])] * 2


def test_a_listing_also_suspended_by_moderation_stays_suspended(certificate, body_admin, linked, staff):
    moderated, other = linked
    lifecycle.suspend(moderated, actor=staff, reason="图片涉嫌盗用", source=SuspensionSource.MODERATION)

    services.suspend_certificate(certificate, actor=body_admin, reason="监督抽查不合格")
    assert states(linked) == [("suspended", ["moderation", "certificate"]), ("suspended", ["certificate"])]

    services.reinstate_certificate(certificate, actor=body_admin)
    assert states(linked) == [("suspended", ["moderation"]), ("active", [])]
    assert moderated.suspension_reason == "图片涉嫌盗用"

    lifecycle.reinstate(moderated, actor=staff, source=SuspensionSource.MODERATION)
    assert states([moderated]) == [("active", [])]


def test_revocation_suspends_for_good(certificate, body_admin, linked):
    services.suspend_certificate(certificate, actor=body_admin, reason="监督抽查不合格")
    services.revoke_certificate(certificate, actor=body_admin, reason="拒不整改")
    assert states(linked) == [("suspended", ["certificate"])] * 2  # not suspended twice
    assert ListingTransition.objects.filter(listing=linked[0], source="certificate").count() == 1


def test_draft_and_sold_listings_are_left_alone(certificate, body_admin, linked):
    draft, sold = linked
    draft.__class__.objects.filter(pk=draft.pk).update(state=ListingState.DRAFT)
    sold.__class__.objects.filter(pk=sold.pk).update(state=ListingState.SOLD)
    services.revoke_certificate(certificate, actor=body_admin, reason="拒不整改")
    assert states(linked) == [("draft", []), ("sold", [])]


def test_listings_relying_on_another_certificate_are_untouched(certificate, body_admin, body, reman, reman_admin,
                                                               reman_member, linked):
    other_certificate = issue(body_admin, body, reman)
    listing = ListingFactory(remanufactured=True, seller=reman_admin, organization=reman)
    unit = make_unit(reman_member, reman, certificate=other_certificate)
    services.link_listing_certificate(listing, actor=reman_admin, certificate=other_certificate, warranty_months=6,
                                      coverage_zh="保修", unit_codes=[unit.trace_code])
    active(listing)
    services.suspend_certificate(certificate, actor=body_admin, reason="监督抽查不合格")
    assert states([listing]) == [("active", [])]


def test_a_failure_while_suspending_listings_rolls_the_certificate_back(certificate, body_admin, linked, monkeypatch):
    calls = []

    def failing_suspend(listing, **kwargs):
        calls.append(listing.pk)
        if len(calls) == 2:
            raise RuntimeError("search is down")
        return original(listing, **kwargs)

    original = lifecycle.suspend
    monkeypatch.setattr(lifecycle, "suspend", failing_suspend)
    with pytest.raises(RuntimeError):
        services.suspend_certificate(certificate, actor=body_admin, reason="监督抽查不合格")
    certificate.refresh_from_db()
    assert certificate.status == "valid" and certificate.events.count() == 1
    assert states(linked) == [("active", [])] * 2


class TestExpiry:
    def past_due(self, certificate, days=1):
        Certificate.objects.filter(pk=certificate.pk).update(
            issued_on=timezone.localdate() - timedelta(days=400), valid_until=timezone.localdate() - timedelta(days=days)
        )

    def test_the_periodic_task_expires_due_certificates_and_suspends_their_listings(self, certificate, linked, body_admin,
                                                                                   body, reman, reman_admin):
        still_valid = issue(body_admin, body, reman)
        self.past_due(certificate)

        assert expire_certificates.delay().get() == 1

        certificate.refresh_from_db()
        still_valid.refresh_from_db()
        assert certificate.status == CertificateStatus.EXPIRED and still_valid.status == CertificateStatus.VALID
        event = certificate.events.last()
        assert (event.from_status, event.to_status, event.actor) == ("valid", "expired", None)
        assert states(linked) == [("suspended", ["certificate"])] * 2
        assert Notification.objects.filter(recipient=reman_admin, kind="certificate_expired").exists()

    def test_the_management_command_does_the_same_and_is_idempotent(self, certificate):
        self.past_due(certificate)
        out = StringIO()
        call_command("expire_certificates", stdout=out)
        call_command("expire_certificates", stdout=out)
        assert out.getvalue().splitlines() == ["1 certificate(s) expired.", "0 certificate(s) expired."]
        assert certificate.events.filter(to_status="expired").count() == 1

    def test_a_suspended_certificate_expires_too(self, certificate, body_admin, linked):
        services.suspend_certificate(certificate, actor=body_admin, reason="监督抽查不合格")
        self.past_due(certificate)
        assert services.expire_due_certificates() == 1
        certificate.refresh_from_db()
        assert certificate.status == "expired"
        assert states(linked) == [("suspended", ["certificate"])] * 2

    def test_the_last_valid_day_is_still_valid(self, certificate):
        self.past_due(certificate, days=0)
        assert services.expire_due_certificates() == 0


def test_relinking_a_suspended_listing_to_a_valid_certificate_restores_it(certificate, body_admin, body, reman,
                                                                          reman_admin, linked):
    services.revoke_certificate(certificate, actor=body_admin, reason="拒不整改")
    renewed = issue(body_admin, body, reman)
    listing = linked[0]
    listing.refresh_from_db()
    # A listing offers units of its own certificate: units remanufactured under the renewed one.
    codes_ = [make_unit(reman_admin, reman, certificate=renewed).trace_code]
    services.link_listing_certificate(listing, actor=reman_admin, certificate=renewed, warranty_months=12,
                                      coverage_zh="整机保修", unit_codes=codes_)
    assert states(linked) == [("active", []), ("suspended", ["certificate"])]
    transition = ListingTransition.objects.filter(listing=listing).latest("id")
    assert transition.source == "certificate" and renewed.number in transition.reason
