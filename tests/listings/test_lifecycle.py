"""The listing state machine: every legal and illegal move, guards, suspensions, audit and signal."""
from datetime import timedelta

import pytest
from django.utils import timezone

from listings import eligibility, lifecycle
from listings.models import ListingState, ListingTransition, SuspensionSource
from listings.signals import listing_changed
from marketplace.errors import Conflict, DomainError, NotAllowed
from notifications.models import Notification
from tests.factories import OrganizationFactory, StaffFactory, UserFactory
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, PhotoFactory, active, publishable

pytestmark = pytest.mark.django_db

S = ListingState
# Written out here, not imported: the test states the rules the product promises.
LEGAL = {
    (S.DRAFT, S.ACTIVE),
    (S.ACTIVE, S.RESERVED), (S.ACTIVE, S.SOLD), (S.ACTIVE, S.WITHDRAWN), (S.ACTIVE, S.EXPIRED), (S.ACTIVE, S.SUSPENDED),
    (S.RESERVED, S.ACTIVE), (S.RESERVED, S.SOLD), (S.RESERVED, S.SUSPENDED),
    (S.WITHDRAWN, S.DRAFT),
    (S.EXPIRED, S.DRAFT),
}
NOT_SUSPENDED = [state for state in S.values if state != S.SUSPENDED]


def listing_in(state):
    listing = publishable()
    fields = {"state": state}
    if state == S.ACTIVE:
        fields["expires_at"] = timezone.now() + timedelta(days=30)
    listing.__class__.objects.filter(pk=listing.pk).update(**fields)
    listing.refresh_from_db()
    return listing


def move(listing, to_state):
    """Ask for the move as the party who would: staff suspend, the platform expires, the seller does the rest."""
    if to_state == S.SUSPENDED:
        return lifecycle.suspend(listing, actor=StaffFactory(), reason="违规")
    if to_state == S.EXPIRED:
        return lifecycle.transition(listing, to_state, actor=None)
    return lifecycle.transition(listing, to_state, actor=listing.seller, reason="test")


@pytest.mark.parametrize("from_state", NOT_SUSPENDED)
@pytest.mark.parametrize("to_state", S.values)
def test_every_move_out_of_every_state(from_state, to_state):
    listing = listing_in(from_state)
    if (from_state, to_state) in LEGAL:
        moved = move(listing, to_state)
        assert moved.state == to_state
        audit = ListingTransition.objects.get(listing=listing)
        assert (audit.from_state, audit.to_state) == (from_state, to_state)
    else:
        with pytest.raises(Conflict) as caught:
            move(listing, to_state)
        assert caught.value.status_code == 409
        listing.refresh_from_db()
        assert listing.state == from_state
        assert not ListingTransition.objects.filter(listing=listing).exists()


@pytest.mark.parametrize("to_state", S.values)
def test_a_suspended_listing_moves_only_through_reinstatement(to_state):
    listing = lifecycle.suspend(active(), actor=StaffFactory(), reason="虚假描述")
    with pytest.raises(Conflict):
        move(listing, to_state)
    listing.refresh_from_db()
    assert listing.state == S.SUSPENDED


def test_publish_and_release_refuse_other_starting_states():
    reserved = listing_in(S.RESERVED)
    with pytest.raises(Conflict):
        lifecycle.publish(reserved, actor=reserved.seller)
    draft = listing_in(S.DRAFT)
    with pytest.raises(Conflict):
        lifecycle.release(draft, actor=draft.seller)


def test_publish_without_photo_or_grade_gives_every_reason():
    listing = ListingFactory(grade_code="")
    with pytest.raises(Conflict) as caught:
        lifecycle.publish(listing, actor=listing.seller)
    assert caught.value.code == "not_publishable"
    assert "photo" in caught.value.message and "Grade" in caught.value.message
    listing.refresh_from_db()
    assert listing.state == S.DRAFT


def test_publish_without_photo_or_grade_names_each_reason_by_its_code():
    listing = ListingFactory(grade_code="")
    with pytest.raises(Conflict) as caught:
        lifecycle.publish(listing, actor=listing.seller)
    assert caught.value.errors == {
        "photo_required": ["Add at least one photo."],
        "grade_required": ["Grade the item first: answer the grading questions of its category."],
    }


def test_publish_rules_of_other_apps_are_applied(monkeypatch):
    monkeypatch.setattr(eligibility, "_RULES", dict(eligibility._RULES))
    eligibility.register("needs_certificate", source=eligibility.COMPLIANCE, check=lambda listing: ["Needs a certificate."])
    listing = ListingFactory(grade_code="")
    with pytest.raises(Conflict) as caught:
        lifecycle.publish(listing, actor=listing.seller)
    assert "Needs a certificate." in caught.value.message and "photo" in caught.value.message
    assert caught.value.errors["needs_certificate"] == ["Needs a certificate."]


def test_publish_starts_the_time_to_live(settings):
    settings.LISTING_TTL_DAYS = 10
    listing = publishable()
    published = lifecycle.publish(listing, actor=listing.seller)
    assert published.state == S.ACTIVE
    assert published.expires_at - published.published_at == timedelta(days=10)


def test_an_organization_that_lost_its_verification_cannot_publish():
    org = OrganizationFactory(verification_status="pending")
    listing = publishable(organization=org)
    with pytest.raises(Conflict) as caught:
        lifecycle.publish(listing, actor=listing.seller)
    assert "verified" in caught.value.message


def test_only_the_seller_or_org_admin_moves_a_listing(shop, shop_admin, shop_member):
    listing = publishable(organization=shop, seller=shop_member)
    for outsider in (UserFactory(), StaffFactory()):
        with pytest.raises(NotAllowed):
            lifecycle.publish(listing, actor=outsider)
    other_member_listing = publishable(organization=shop)
    with pytest.raises(NotAllowed):
        lifecycle.publish(other_member_listing, actor=shop_member)  # members manage only their own
    assert lifecycle.publish(other_member_listing, actor=shop_admin).state == S.ACTIVE


def test_nobody_expires_a_listing_by_hand():
    listing = active()
    with pytest.raises(NotAllowed):
        lifecycle.transition(listing, S.EXPIRED, actor=listing.seller)


def test_unknown_state_is_a_400():
    listing = active()
    with pytest.raises(DomainError) as caught:
        lifecycle.transition(listing, "lost", actor=listing.seller)
    assert caught.value.status_code == 400


def test_every_change_is_audited_with_actor_and_reason_and_signalled():
    seen = []

    def receiver(sender, listing, fields, deleted, **kwargs):
        seen.append((listing.pk, listing.state, fields, deleted))

    listing = active()
    listing_changed.connect(receiver)
    try:
        lifecycle.reserve(listing, actor=listing.seller, reason="买家已付定金")
    finally:
        listing_changed.disconnect(receiver)
    audit = ListingTransition.objects.filter(listing=listing).last()
    assert (audit.actor, audit.from_state, audit.to_state, audit.reason) == (listing.seller, S.ACTIVE, S.RESERVED, "买家已付定金")
    assert seen == [(listing.pk, S.RESERVED, {"state"}, False)]


class TestSuspension:
    def test_moderation_needs_staff_and_a_reason(self):
        listing = active()
        with pytest.raises(NotAllowed):
            lifecycle.suspend(listing, actor=listing.seller, reason="x")
        with pytest.raises(DomainError):
            lifecycle.suspend(listing, actor=StaffFactory(), reason="  ")

    def test_suspend_remembers_the_state_and_tells_the_seller(self):
        listing = listing_in(S.RESERVED)
        suspended = lifecycle.suspend(listing, actor=StaffFactory(), reason="疑似假货")
        assert suspended.state == S.SUSPENDED
        assert suspended.suspended_from_state == S.RESERVED
        assert suspended.suspension_sources == ["moderation"]
        assert suspended.suspension_reason == "疑似假货"
        assert Notification.objects.filter(recipient=listing.seller, kind="listing_suspended").exists()

    def test_two_sources_hold_the_suspension_until_both_are_lifted(self):
        staff = StaffFactory()
        listing = listing_in(S.RESERVED)
        lifecycle.suspend(listing, actor=staff, reason="举报核实中")
        both = lifecycle.suspend(listing, actor=None, reason="再制造证书已撤销", source=SuspensionSource.CERTIFICATE)
        assert both.suspension_sources == ["moderation", "certificate"]

        after_moderation = lifecycle.reinstate(listing, actor=staff)
        assert after_moderation.state == S.SUSPENDED
        assert after_moderation.suspension_sources == ["certificate"]
        assert after_moderation.suspension_reason == "再制造证书已撤销"

        back = lifecycle.reinstate(listing, actor=None, source=SuspensionSource.CERTIFICATE)
        assert back.state == S.RESERVED
        assert (back.suspension_sources, back.suspended_from_state, back.suspension_reason) == ([], "", "")
        sources = list(ListingTransition.objects.filter(listing=listing).values_list("source", flat=True))
        assert sources == ["moderation", "certificate", "moderation", "certificate"]

    def test_the_same_source_twice_and_lifting_a_source_not_held_are_conflicts(self):
        staff = StaffFactory()
        listing = lifecycle.suspend(active(), actor=staff, reason="x")
        with pytest.raises(Conflict):
            lifecycle.suspend(listing, actor=staff, reason="again")
        with pytest.raises(Conflict):
            lifecycle.reinstate(listing, actor=None, source=SuspensionSource.CERTIFICATE)
        with pytest.raises(Conflict):
            lifecycle.reinstate(active(), actor=staff)

    def test_reinstating_past_expiry_gives_expired(self):
        listing = lifecycle.suspend(active(), actor=StaffFactory(), reason="x")
        listing.__class__.objects.filter(pk=listing.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        assert lifecycle.reinstate(listing, actor=StaffFactory()).state == S.EXPIRED

    def test_only_staff_reinstate_moderation(self):
        listing = lifecycle.suspend(active(), actor=StaffFactory(), reason="x")
        with pytest.raises(NotAllowed):
            lifecycle.reinstate(listing, actor=listing.seller)

    def test_generic_transition_to_suspended_is_a_moderation_suspension(self):
        listing = lifecycle.transition(active(), S.SUSPENDED, actor=StaffFactory(), reason="广告")
        assert listing.suspension_sources == ["moderation"]


def test_reopened_listing_publishes_again_with_a_fresh_ttl():
    listing = active()
    lifecycle.withdraw(listing, actor=listing.seller)
    lifecycle.reopen(listing, actor=listing.seller)
    PhotoFactory(listing=listing)
    again = lifecycle.publish(listing, actor=listing.seller)
    assert again.state == S.ACTIVE
    assert again.expires_at > timezone.now() + timedelta(days=59)


def test_a_grade_given_under_another_categorys_standard_blocks_publishing():
    from grading.models import Assessment, GradingStandard

    listing = publishable(grade_code="A")  # furniture
    phone_standard = GradingStandard.objects.get(code="phone", status="published")
    Assessment.objects.create(
        listing=listing, standard=phone_standard, source="self_declared", assessor=listing.seller,
        grade=phone_standard.levels.order_by("rank").first(),
    )
    with pytest.raises(Conflict) as caught:
        lifecycle.publish(listing, actor=listing.seller)
    assert "grade it again" in caught.value.message


def test_the_seller_is_told_of_reinstatement_in_their_own_language():
    listing = lifecycle.suspend(active(seller=UserFactory(language="zh-hans")), actor=StaffFactory(), reason="核查")
    lifecycle.reinstate(listing, actor=StaffFactory())
    notification = Notification.objects.get(recipient=listing.seller, kind="listing_reinstated")
    assert "在售" in notification.body


def test_a_draft_deleted_right_after_an_edit_commits_answers_404(client_for, monkeypatch):
    """Another request deletes the draft between this edit's commit and its answer: 404, not 500."""
    from listings import services, views

    draft = ListingFactory()
    edit = services.update_listing

    def edit_then_deleted_elsewhere(listing, **changes):
        edited = edit(listing, **changes)
        services.delete_draft(edited, actor=edited.seller)
        return edited

    monkeypatch.setattr(views.services, "update_listing", edit_then_deleted_elsewhere)
    response = client_for(draft.seller).patch(f"/api/v1/listings/{draft.pk}/", {"title": "新标题"}, format="json")
    assert_error_shape(response, 404, "not_found")
