"""Publish rules keep holding while a listing is on sale, and a removed employee loses control.

The rule registry is patched with a stand-in rule (no more than 500 yuan), so these tests pin
the mechanism of listings.eligibility / lifecycle.reevaluate / services.update_listing, whatever
rules the other apps register.
"""
from decimal import Decimal

import pytest

from accounts.models import Membership, Role, User
from listings import eligibility, lifecycle, services
from listings.models import Listing, ListingChange, ListingState, ListingTransition, SuspensionSource
from marketplace.errors import Conflict, NotAllowed
from tests.factories import member_of
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, PhotoFactory, active, publishable

pytestmark = pytest.mark.django_db

PRICE_LIMIT = Decimal("500.00")


def at_most_500(listing):
    return ["Too expensive for this test."] if listing.price > PRICE_LIMIT else []


@pytest.fixture
def price_rule(monkeypatch):
    monkeypatch.setattr(eligibility, "_RULES", dict(eligibility._RULES))
    eligibility.register("at_most_500", source=eligibility.COMPLIANCE, check=at_most_500, codes=("too_expensive",))
    return at_most_500


def fresh(listing):
    return Listing.objects.get(pk=listing.pk)


class TestRegistry:
    def test_rules_are_grouped_by_the_source_that_enforces_them(self, price_rule):
        assert eligibility.rules([eligibility.COMPLIANCE])[-1].check is price_rule
        assert price_rule not in [rule.check for rule in eligibility.rules([eligibility.GRADING])]


class TestEditsOnSale:
    @pytest.mark.parametrize("state", [ListingState.ACTIVE, ListingState.RESERVED])
    def test_an_edit_that_breaks_a_rule_is_refused_and_nothing_changes(self, price_rule, state):
        listing = active(price=Decimal("300.00"))
        if state == ListingState.RESERVED:
            listing = lifecycle.reserve(listing, actor=None)
        with pytest.raises(Conflict) as caught:
            services.update_listing(listing, actor=listing.seller, price=Decimal("800.00"), title="新标题")
        assert caught.value.code == "not_publishable" and "Too expensive for this test." in caught.value.message
        assert caught.value.errors == {"too_expensive": ["Too expensive for this test."]}
        assert (fresh(listing).price, fresh(listing).title) == (Decimal("300.00"), listing.title)
        assert not ListingChange.objects.filter(listing=listing).exists()

    def test_the_api_answers_409_with_the_reasons(self, price_rule, client_for):
        listing = active(price=Decimal("300.00"))
        response = client_for(listing.seller).patch(f"/api/v1/listings/{listing.pk}/", {"price": "800.00"}, format="json")
        body = assert_error_shape(response, 409, "not_publishable")
        assert "Too expensive for this test." in body["detail"]
        assert body["errors"] == {"too_expensive": ["Too expensive for this test."]}

    def test_edits_that_keep_the_rules_and_drafts_are_not_affected(self, price_rule):
        listing = active(price=Decimal("300.00"))
        assert services.update_listing(listing, actor=listing.seller, price=Decimal("450.00")).price == Decimal("450.00")
        draft = ListingFactory(price=Decimal("300.00"))
        assert services.update_listing(draft, actor=draft.seller, price=Decimal("800.00")).price == Decimal("800.00")

    def test_a_reason_that_was_already_there_does_not_block_other_edits(self, price_rule):
        listing = active(price=Decimal("300.00"))
        Listing.objects.filter(pk=listing.pk).update(price=Decimal("900.00"))  # broken some other way
        assert services.update_listing(fresh(listing), actor=listing.seller, title="只改标题").title == "只改标题"


class TestEnforcement:
    def test_a_listing_that_stops_meeting_a_rule_is_suspended_for_its_source(self, price_rule):
        listing = active(price=Decimal("300.00"))
        Listing.objects.filter(pk=listing.pk).update(price=Decimal("900.00"))  # a fact changed elsewhere
        listing = lifecycle.reevaluate(listing, SuspensionSource.COMPLIANCE)
        assert (listing.state, listing.suspension_sources) == ("suspended", ["compliance"])
        assert "Too expensive for this test." in listing.suspension_reason
        transition = ListingTransition.objects.filter(listing=listing).latest("id")
        assert (transition.source, transition.actor) == ("compliance", None)

    def test_other_sources_are_not_touched(self, price_rule):
        listing = active(price=Decimal("300.00"))
        Listing.objects.filter(pk=listing.pk).update(price=Decimal("900.00"))
        assert lifecycle.reevaluate(listing, SuspensionSource.CERTIFICATE).state == "active"

    def test_a_fix_made_while_suspended_reinstates_for_that_source_only(self, price_rule, staff):
        listing = active(price=Decimal("300.00"))
        Listing.objects.filter(pk=listing.pk).update(price=Decimal("900.00"))
        lifecycle.reevaluate(listing, eligibility.COMPLIANCE)
        lifecycle.suspend(listing, actor=staff, reason="待核实")
        listing = services.update_listing(fresh(listing), actor=listing.seller, price=Decimal("400.00"))
        assert (listing.state, listing.suspension_sources) == ("suspended", ["moderation"])
        listing = lifecycle.reinstate(listing, actor=staff)
        assert listing.state == "active"

    def test_drafts_and_closed_listings_are_left_alone(self, price_rule):
        draft = ListingFactory(price=Decimal("900.00"))
        assert lifecycle.reevaluate(draft, eligibility.COMPLIANCE).state == "draft"
        sold = lifecycle.mark_sold(active(price=Decimal("300.00")), actor=None)
        Listing.objects.filter(pk=sold.pk).update(price=Decimal("900.00"))
        assert lifecycle.reevaluate(sold, eligibility.COMPLIANCE).state == "sold"


@pytest.fixture
def shop_world(shop):
    seller = member_of(shop, Role.MEMBER)
    return {"shop": shop, "seller": seller, "admin": member_of(shop, Role.ADMIN)}


def removed(user, org):
    Membership.objects.filter(organization=org, user=user).delete()
    return User.objects.get(pk=user.pk)  # as the next request loads it (memberships are cached per instance)


class TestRemovedMember:
    def test_a_removed_seller_can_no_longer_edit_publish_move_or_delete(self, shop_world):
        shop, seller = shop_world["shop"], shop_world["seller"]
        draft = publishable(seller=seller, organization=shop)
        on_sale = active(seller=seller, organization=shop)
        seller = removed(seller, shop)
        for attempt in (
            lambda: services.update_listing(on_sale, actor=seller, title="还是我的"),
            lambda: lifecycle.withdraw(on_sale, actor=seller),
            lambda: lifecycle.publish(draft, actor=seller),
            lambda: services.delete_draft(draft, actor=seller),
        ):
            with pytest.raises(NotAllowed):
                attempt()

    def test_through_the_api(self, client_for, shop_world):
        shop, seller = shop_world["shop"], shop_world["seller"]
        draft = publishable(seller=seller, organization=shop)
        on_sale = active(seller=seller, organization=shop)
        client = client_for(removed(seller, shop))
        assert client.patch(f"/api/v1/listings/{on_sale.pk}/", {"title": "还是我的"}, format="json").status_code == 403
        assert client.post(f"/api/v1/listings/{on_sale.pk}/withdraw/").status_code == 403
        # The organization's draft is no longer theirs to see.
        assert client.post(f"/api/v1/listings/{draft.pk}/publish/").status_code == 404
        assert client.delete(f"/api/v1/listings/{draft.pk}/").status_code == 404
        mine = client.get("/api/v1/listings/", {"mine": 1}).json()["results"]
        assert mine == []
        detail = client.get(f"/api/v1/listings/{on_sale.pk}/").json()
        assert detail["is_owner"] is False and detail["suspension_reason"] is None

    def test_the_organization_admins_keep_managing_it(self, shop_world):
        shop, seller, admin = shop_world["shop"], shop_world["seller"], shop_world["admin"]
        on_sale = active(seller=seller, organization=shop)
        removed(seller, shop)
        assert services.update_listing(on_sale, actor=admin, title="公司接手").title == "公司接手"

    def test_a_personal_listing_stays_its_sellers(self, user):
        listing = active(seller=user)
        assert services.update_listing(listing, actor=user, title="我的东西").title == "我的东西"

    def test_a_seller_demoted_but_still_a_member_keeps_their_own_listing(self, shop_world):
        shop, admin = shop_world["shop"], shop_world["admin"]
        listing = active(seller=admin, organization=shop)
        Membership.objects.filter(organization=shop, user=admin).update(role=Role.MEMBER)
        admin = User.objects.get(pk=admin.pk)
        assert services.update_listing(listing, actor=admin, title="仍是我的").title == "仍是我的"


def test_photos_of_an_active_listing_need_a_member(shop_world):
    shop, seller = shop_world["shop"], shop_world["seller"]
    listing = active(seller=seller, organization=shop)
    photo = PhotoFactory(listing=listing)
    with pytest.raises(NotAllowed):
        services.set_cover(photo, actor=removed(seller, shop))
