"""listings.stock: the units checkouts take, give back and sell, and the listing's state through its
lifecycle (reserved when none is free, active when units come back, sold when the last is paid)."""
import pytest

from listings import lifecycle, stock
from listings.models import ListingState, ListingTransition
from marketplace.errors import Conflict
from orders import services
from tests.helpers import assert_error_shape
from tests.orders.factories import on_sale, order_for, shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing():
    return on_sale(organization=shop(), quantity=3)


def test_taking_the_last_free_units_reserves_the_listing(listing):
    listing = stock.reserve(listing, 2, held=1, reason="checkout")
    assert listing.state == ListingState.RESERVED
    assert ListingTransition.objects.get(listing=listing, to_state="reserved").actor is None


def test_more_than_the_free_units_is_refused(listing):
    with pytest.raises(Conflict) as refused:
        stock.reserve(listing, 3, held=1, reason="checkout")
    assert refused.value.code == "out_of_stock"


def test_units_coming_back_put_a_listing_reserved_for_lack_of_stock_back_on_sale(listing):
    listing = stock.reserve(listing, 3, held=0, reason="checkout")
    listing = stock.give_back(listing, 1, held=2, reason="expired")
    assert listing.state == ListingState.ACTIVE


def test_a_listing_the_seller_reserved_by_hand_stays_reserved(listing):
    listing = lifecycle.reserve(listing, actor=listing.seller, reason="买家已约看货")
    listing = stock.give_back(listing, 1, held=0, reason="expired")  # a checkout from before
    assert listing.state == ListingState.RESERVED


def test_selling_counts_units_down_and_the_last_sells_the_listing(listing):
    listing = stock.sell(listing, 1, held=0, reason="paid")
    assert (listing.state, listing.quantity) == (ListingState.ACTIVE, 2)
    listing = stock.sell(listing, 2, held=0, reason="paid")
    assert listing.state == ListingState.SOLD
    assert listing.quantity == 2  # the last sale's: a quantity is at least 1


def test_a_sale_while_others_hold_the_rest_keeps_the_listing_reserved(listing):
    listing = stock.reserve(listing, 3, held=0, reason="checkout")  # say three checkouts of one unit
    listing = stock.sell(listing, 1, held=2, reason="paid")
    assert (listing.state, listing.quantity) == (ListingState.RESERVED, 2)


def test_a_suspended_listing_is_not_sold_by_a_payment(listing, staff):
    listing = stock.reserve(listing, 3, held=0, reason="checkout")
    listing = lifecycle.suspend(listing, actor=staff, reason="涉嫌违规")
    listing = stock.sell(listing, 3, held=0, reason="paid")
    assert listing.state == ListingState.SUSPENDED


# The seller changes the quantity while checkouts hold units (listings asks orders' registered counter).

def patch_quantity(client_for, listing, quantity):
    return client_for(listing.seller).patch(f"/api/v1/listings/{listing.pk}/", {"quantity": quantity})


def test_the_quantity_cannot_go_below_the_units_unpaid_checkouts_hold(listing, client_for):
    order_for(listing, quantity=2)
    refused = patch_quantity(client_for, listing, 1)
    error = assert_error_shape(refused, 409, "units_held")
    assert "2" in error["detail"]
    listing.refresh_from_db()
    assert (listing.quantity, listing.state) == (3, ListingState.ACTIVE)


def test_lowering_the_quantity_to_the_held_units_reserves_the_listing_and_raising_it_frees_it(listing, client_for):
    order_for(listing, quantity=2)
    assert patch_quantity(client_for, listing, 2).status_code == 200
    listing.refresh_from_db()
    assert listing.state == ListingState.RESERVED
    assert ListingTransition.objects.get(listing=listing, to_state="reserved").actor is None

    assert patch_quantity(client_for, listing, 5).status_code == 200
    listing.refresh_from_db()
    assert (listing.quantity, listing.state) == (5, ListingState.ACTIVE)


def test_without_held_units_the_quantity_changes_freely(listing, client_for):
    assert patch_quantity(client_for, listing, 1).status_code == 200
    listing.refresh_from_db()
    assert (listing.quantity, listing.state) == (1, ListingState.ACTIVE)


def test_a_cancelled_checkout_no_longer_holds_units(listing, client_for):
    order = order_for(listing, quantity=2)
    assert stock.held(listing) == 2
    services.cancel(order, actor=order.buyer, reason="changed my mind")
    assert stock.held(listing) == 0
    assert patch_quantity(client_for, listing, 1).status_code == 200
