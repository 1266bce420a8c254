"""Giveaways (price 0, 免费送) and swaps: how a listing changes hands, and what that means for its price."""
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from listings import deals, lifecycle
from listings.models import Deal, Listing, ListingChange
from tests.factories import UserFactory
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, active

pytestmark = pytest.mark.django_db


def test_a_giveaway_is_listed_at_price_0(client_for, user, furniture_payload):
    response = client_for(user).post("/api/v1/listings/", {**furniture_payload, "price": "0", "deal": "giveaway"},
                                     format="json")
    assert response.status_code == 201, response.content
    assert response.json()["deal"] == "giveaway" and response.json()["price"] == "0.00"
    assert not deals.takes_payment(Listing.objects.get(pk=response.json()["id"]))


def test_a_giveaway_with_a_price_and_a_sale_without_one_are_refused(client_for, user, furniture_payload):
    body = assert_error_shape(client_for(user).post("/api/v1/listings/", {**furniture_payload, "deal": "giveaway"},
                                                    format="json"), 400, "giveaway_not_free")
    assert "price" in body["errors"]
    body = assert_error_shape(client_for(user).post("/api/v1/listings/", {**furniture_payload, "price": "0"},
                                                    format="json"), 400, "validation_error")
    assert "price" in body["errors"]


def test_a_swap_says_what_is_wanted_and_keeps_an_indicative_price(client_for, user, furniture_payload):
    payload = {**furniture_payload, "deal": "swap", "price": "120.00", "swap_wanted": "一辆儿童自行车"}
    body = client_for(user).post("/api/v1/listings/", payload, format="json").json()
    assert (body["deal"], body["swap_wanted"]) == ("swap", "一辆儿童自行车")
    assert not deals.takes_payment(Listing.objects.get(pk=body["id"]))
    wish_on_sale = {**furniture_payload, "swap_wanted": "自行车"}
    assert_error_shape(client_for(user).post("/api/v1/listings/", wish_on_sale, format="json"), 400,
                       "swap_wanted_not_allowed")


def test_turning_a_listing_on_sale_into_a_giveaway_is_kept_in_its_history(client_for):
    listing = active(price=Decimal("300.00"))
    seller = client_for(listing.seller)
    assert_error_shape(seller.patch(f"/api/v1/listings/{listing.pk}/", {"deal": "giveaway"}, format="json"), 400,
                       "giveaway_not_free")
    response = seller.patch(f"/api/v1/listings/{listing.pk}/", {"deal": "giveaway", "price": "0"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["deal"] == "giveaway" and response.json()["state"] == "active"
    changes = set(ListingChange.objects.filter(listing=listing).values_list("field", "old_value", "new_value"))
    assert {("deal", "sale", "giveaway"), ("price", "300.00", "0.00")} <= changes


def test_the_list_filters_by_deal(api):
    given = active(price=Decimal("0"), deal=Deal.GIVEAWAY)
    swapped = active(price=Decimal("50"), deal=Deal.SWAP)
    sold = active()
    ids = lambda deal: {row["id"] for row in api.get("/api/v1/listings/", {"deal": deal}).json()["results"]}  # noqa: E731
    assert ids("giveaway") == {given.pk} and ids("swap") == {swapped.pk} and sold.pk in ids("sale")
    assert_error_shape(api.get("/api/v1/listings/", {"deal": "auction"}), 400)


def test_the_database_refuses_a_price_that_does_not_fit_the_deal():
    for deal, price in ((Deal.SALE, "0"), (Deal.GIVEAWAY, "5"), (Deal.SWAP, "-1")):
        with pytest.raises(IntegrityError), transaction.atomic():
            ListingFactory(deal=deal, price=Decimal(price))


def test_a_giveaway_publishes_like_any_listing():
    listing = active(price=Decimal("0"), deal=Deal.GIVEAWAY)
    assert listing.state == "active"
    assert lifecycle.withdraw(listing, actor=listing.seller).state == "withdrawn"


@pytest.mark.parametrize("deal, price", [(Deal.GIVEAWAY, "0"), (Deal.SWAP, "80.00")])
def test_giveaways_and_swaps_never_go_through_checkout(client_for, deal, price):
    from tests.orders.factories import on_sale

    listing = on_sale(price=price, deal=deal)
    response = client_for(UserFactory()).post("/api/v1/orders/", {"listing": listing.pk}, format="json")
    assert_error_shape(response, 409, "not_for_payment")
    listing.refresh_from_db()
    assert listing.state == "active" and not listing.transitions.exists()
