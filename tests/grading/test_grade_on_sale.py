"""An unsellable grade does not stay on sale; mismatch notices only when there is news; removed members."""
import pytest

from accounts.models import Membership, Role, User
from grading import services
from listings import lifecycle
from listings.models import Listing, ListingTransition, SuspensionSource
from marketplace.errors import NotAllowed
from notifications.models import Notification
from tests.factories import member_of
from tests.grading.factories import PHONE_INSPECTION_PERFECT, PHONE_PERFECT, listing_for
from tests.listings.factories import PhotoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_sale(user):
    """A resident's phone, declared perfect and published."""
    listing = listing_for("phone", seller=user)
    PhotoFactory(listing=listing)
    services.self_assess(listing, actor=user, answers=PHONE_PERFECT)
    return lifecycle.publish(listing, actor=user)


def inspect(listing, inspector, agency, **answers):
    return services.inspect(listing, actor=inspector, agency=agency, answers={**PHONE_INSPECTION_PERFECT, **answers})


def fresh(listing):
    return Listing.objects.get(pk=listing.pk)


def again(user):
    """The user as the next request loads it (memberships are cached on the instance)."""
    return User.objects.get(pk=user.pk)


class TestBlockersSuspend:
    def test_an_inspection_with_a_blocker_suspends_an_active_listing_with_the_reasons(self, on_sale, inspector, agency, user):
        inspect(on_sale, inspector, agency, imei_blacklisted=True)
        listing = fresh(on_sale)
        assert (listing.state, listing.suspension_sources, listing.grade_code) == ("suspended", ["grading"], "X")
        assert listing.suspended_from_state == "active"
        assert "blacklist" in listing.suspension_reason.lower()
        transition = ListingTransition.objects.filter(listing=listing).latest("id")
        assert (transition.source, transition.actor) == (SuspensionSource.GRADING, None)
        assert Notification.objects.filter(recipient=user, kind="listing_suspended").exists()

    def test_a_reserved_listing_is_suspended_too_and_comes_back_reserved(self, on_sale, inspector, agency, user):
        lifecycle.reserve(on_sale, actor=user)
        inspect(on_sale, inspector, agency, imei_blacklisted=True)
        assert fresh(on_sale).state == "suspended"
        inspect(on_sale, inspector, agency)
        assert (fresh(on_sale).state, fresh(on_sale).suspension_sources) == ("reserved", [])

    def test_a_later_sellable_assessment_reinstates_for_grading(self, on_sale, inspector, agency):
        inspect(on_sale, inspector, agency, imei_blacklisted=True)
        inspect(on_sale, inspector, agency)
        listing = fresh(on_sale)
        assert (listing.state, listing.suspension_sources, listing.suspension_reason) == ("active", [], "")
        assert ListingTransition.objects.filter(listing=listing, source="grading").count() == 2

    def test_a_self_declared_blocker_suspends_when_no_inspection_overrides_it(self, on_sale, user):
        services.self_assess(on_sale, actor=user, answers={**PHONE_PERFECT, "data_wiped": False})
        assert fresh(on_sale).suspension_sources == ["grading"]
        services.self_assess(on_sale, actor=user, answers=PHONE_PERFECT)
        assert fresh(on_sale).state == "active"

    def test_a_moderated_listing_also_holds_the_grading_source(self, on_sale, inspector, agency, staff):
        lifecycle.suspend(on_sale, actor=staff, reason="待核实")
        inspect(on_sale, inspector, agency, imei_blacklisted=True)
        assert fresh(on_sale).suspension_sources == ["moderation", "grading"]
        lifecycle.reinstate(on_sale, actor=staff)
        listing = fresh(on_sale)
        assert (listing.state, listing.suspension_sources) == ("suspended", ["grading"])
        assert "blacklist" in listing.suspension_reason.lower()

    def test_a_draft_with_a_blocker_stays_a_draft(self, user, shop):
        draft = listing_for("phone", seller=user, organization=shop)
        services.self_assess(draft, actor=user, answers={**PHONE_PERFECT, "data_wiped": False})
        assert (fresh(draft).state, fresh(draft).suspension_sources) == ("draft", [])

    def test_the_seller_sees_why_through_the_api(self, client_for, api, on_sale, inspector, agency, user):
        inspect(on_sale, inspector, agency, imei_blacklisted=True)
        assert api.get(f"/api/v1/listings/{on_sale.pk}/").status_code == 404
        detail = client_for(user).get(f"/api/v1/listings/{on_sale.pk}/").json()
        assert detail["state"] == "suspended" and detail["suspension_sources"] == ["grading"]
        assert "blacklist" in detail["suspension_reason"].lower()


class TestMismatchNotices:
    def count(self, user):
        return Notification.objects.filter(recipient=user, kind="grade_mismatch").count()

    def test_told_once_when_it_appears_not_on_every_later_assessment(self, on_sale, inspector, agency, user):
        inspect(on_sale, inspector, agency, screen="scratched")  # C against the declared P
        assert self.count(user) == 1
        inspect(on_sale, inspector, agency, screen="scratched")  # same grades: no news
        services.self_assess(on_sale, actor=user, answers=PHONE_PERFECT)  # declared again P: no news
        assert self.count(user) == 1

    def test_told_again_when_a_grade_in_the_mismatch_changes(self, on_sale, inspector, agency, user):
        inspect(on_sale, inspector, agency, screen="scratched")
        inspect(on_sale, inspector, agency, screen="cracked")  # inspected C -> D
        assert self.count(user) == 2
        services.self_assess(on_sale, actor=user, answers={**PHONE_PERFECT, "body_marks": "visible_20cm"})  # P -> B
        assert self.count(user) == 3

    def test_told_again_when_it_reappears(self, on_sale, inspector, agency, user):
        inspect(on_sale, inspector, agency, screen="scratched")
        inspect(on_sale, inspector, agency)  # agrees: mismatch gone
        inspect(on_sale, inspector, agency, screen="scratched")
        assert self.count(user) == 2


class TestRemovedMember:
    @pytest.fixture
    def shop_draft(self, user, shop):
        draft = listing_for("phone", seller=user, organization=shop)
        services.self_assess(draft, actor=user, answers=PHONE_PERFECT)
        return draft

    def test_a_seller_removed_from_the_organization_can_no_longer_declare_the_grade(self, shop_draft, user, shop):
        Membership.objects.filter(organization=shop, user=user).delete()
        with pytest.raises(NotAllowed):
            services.self_assess(shop_draft, actor=again(user), answers=PHONE_PERFECT)

    def test_a_removed_seller_no_longer_sees_a_hidden_listings_grading(self, client_for, shop_draft, user, shop):
        assert client_for(user).get(f"/api/v1/listings/{shop_draft.pk}/assessments/").status_code == 200
        Membership.objects.filter(organization=shop, user=user).delete()
        client = client_for(again(user))
        assert client.get(f"/api/v1/listings/{shop_draft.pk}/assessments/").status_code == 404
        assert client.get(f"/api/v1/listings/{shop_draft.pk}/grade-report").status_code == 404
        response = client.post(f"/api/v1/listings/{shop_draft.pk}/assessments/", {"answers": PHONE_PERFECT}, format="json")
        assert response.status_code == 404

    def test_another_member_still_declares(self, shop_draft, user, shop):
        Membership.objects.filter(organization=shop, user=user).delete()
        colleague = member_of(shop, Role.MEMBER)
        assert services.self_assess(shop_draft, actor=colleague, answers=PHONE_PERFECT).assessor == colleague
