"""Checkout: the price comes from the listing, stock is reserved, and what cannot be bought is refused."""
from decimal import Decimal

import pytest

from accounts.models import Role
from listings import lifecycle
from listings.models import ListingState, ListingTransition
from orders.models import Order, OrderState, OrderTransition, PaymentMethod
from tests.factories import member_of
from tests.helpers import assert_error_shape
from tests.orders.factories import connected, on_sale, order_for, shop

pytestmark = pytest.mark.django_db


def buy(client, listing, **extra):
    return client.post("/api/v1/orders/", {"listing": listing.pk, **extra})


def test_a_buyer_checks_out_at_the_listings_price(client_for, buyer):
    listing = on_sale(price="280.00")

    response = buy(client_for(buyer), listing)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["total"], body["unit_price"], body["quantity"]) == ("pending_payment", "280.00",
                                                                                   "280.00", 1)
    assert body["payment_method"] == "offline" and body["payment"]["client_secret"] is None
    assert body["my_role"] == "buyer" and "cancel" in body["actions"]
    assert len(body["handover"]["code"]) == 6
    order = Order.objects.get(pk=body["id"])
    assert (order.seller_id, order.organization_id, order.title) == (listing.seller_id, None, listing.title)
    assert list(order.transitions.values_list("from_state", "to_state", "actor_role")) == [
        ("", "pending_payment", "buyer")]


def test_price_fields_sent_by_the_client_are_ignored(client_for, buyer):
    listing = on_sale(price="1999.00")

    response = buy(client_for(buyer), listing, price="0.01", unit_price="0.01", total="0.01", platform_fee="0")

    assert response.status_code == 201
    assert Order.objects.get().total == Decimal("1999.00")


def test_the_last_unit_moves_the_listing_to_reserved(client_for, buyer):
    listing = on_sale()

    buy(client_for(buyer), listing)

    listing.refresh_from_db()
    assert listing.state == ListingState.RESERVED
    assert ListingTransition.objects.filter(listing=listing, to_state="reserved", actor=None).exists()


def test_stock_of_an_organization_is_reserved_unit_by_unit(client_for):
    organization = shop()
    listing = on_sale(organization=organization, quantity=3, price="10.00")
    first, second = member_of(shop()), member_of(shop())

    assert buy(client_for(first), listing, quantity=2).status_code == 201
    listing.refresh_from_db()
    assert listing.state == ListingState.ACTIVE  # one unit still free
    refused = buy(client_for(second), listing, quantity=2)
    assert_error_shape(refused, 409, "out_of_stock")
    assert buy(client_for(second), listing, quantity=1).status_code == 201
    listing.refresh_from_db()
    assert listing.state == ListingState.RESERVED
    assert Order.objects.get(buyer=first).total == Decimal("20.00")


def test_nobody_buys_what_someone_else_is_paying_for(client_for, buyer, other_user):
    listing = on_sale()
    order_for(listing, other_user)

    response = buy(client_for(buyer), listing)

    body = assert_error_shape(response, 409, "listing_reserved")
    assert "comes back on sale" in body["detail"]


@pytest.mark.parametrize("state", [ListingState.DRAFT, ListingState.SOLD, ListingState.WITHDRAWN])
def test_listings_not_on_sale_cannot_be_bought(client_for, buyer, state):
    listing = on_sale()
    listing.state = state
    listing.save()

    assert_error_shape(buy(client_for(buyer), listing), 409, "listing_not_on_sale")
    assert not Order.objects.exists()


def test_a_suspended_listing_cannot_be_bought(client_for, buyer, staff):
    listing = lifecycle.suspend(on_sale(), actor=staff, reason="涉嫌违规")

    assert_error_shape(buy(client_for(buyer), listing), 409, "listing_not_on_sale")


def test_sellers_cannot_buy_their_own_listing(client_for):
    listing = on_sale()
    assert_error_shape(buy(client_for(listing.seller), listing), 403, "own_listing")


def test_members_of_the_selling_organization_cannot_buy_its_listing(client_for):
    organization = shop()
    listing = on_sale(organization=organization)
    colleague = member_of(organization, Role.MEMBER)

    assert_error_shape(buy(client_for(colleague), listing), 403, "own_listing")


def test_more_than_the_stock_is_refused(client_for, buyer):
    listing = on_sale(organization=shop(), quantity=2)

    assert_error_shape(buy(client_for(buyer), listing, quantity=3), 409, "out_of_stock")


@pytest.mark.parametrize("payload, field", [({"quantity": 0}, "quantity"), ({"listing": "x"}, "listing"),
                                            ({"payment_method": "bitcoin"}, "payment_method")])
def test_malformed_checkouts_are_400(client_for, buyer, payload, field):
    listing = on_sale()
    body = assert_error_shape(client_for(buyer).post("/api/v1/orders/", {"listing": listing.pk, **payload}), 400,
                              "validation_error")
    assert field in body["errors"]


def test_an_unknown_listing_is_404(client_for, buyer):
    assert_error_shape(client_for(buyer).post("/api/v1/orders/", {"listing": 10**9}), 404, "not_found")


def test_anonymous_visitors_must_sign_in(api):
    listing = on_sale()
    assert_error_shape(buy(api, listing), 401, "not_authenticated")


def test_stripe_is_offered_only_when_the_organization_can_be_paid_out(client_for, buyer, recorded_stripe):
    person_listing = on_sale()
    refused = buy(client_for(buyer), person_listing, payment_method="stripe")
    assert_error_shape(refused, 400, "payment_method_unavailable")

    organization = shop()
    connected(organization)
    listing = on_sale(organization=organization, price="100.00")
    response = buy(client_for(buyer), listing)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["payment_method"] == PaymentMethod.STRIPE
    assert body["payment"]["client_secret"].endswith("_secret_recorded")
    order = Order.objects.get(pk=body["id"])
    assert order.payment_reference == body["payment"]["reference"]
    assert order.platform_fee == Decimal("5.00")  # merchants: 5 % by default


def test_an_unreachable_stripe_still_reserves_and_says_so(client_for, buyer, recorded_stripe):
    organization = shop()
    connected(organization)
    listing = on_sale(organization=organization)
    recorded_stripe.answer("post", r"/v1/payment_intents", {"error": {"type": "api_error", "message": "down"}},
                           status=500, first=True)

    response = buy(client_for(buyer), listing)

    assert response.status_code == 201
    assert response.json()["payment"]["error"]
    assert response.json()["actions"][0] == "pay"
    assert OrderTransition.objects.filter(to_state=OrderState.PENDING_PAYMENT).count() == 1
