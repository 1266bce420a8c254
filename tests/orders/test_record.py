"""A seller's record (sales, upheld claims, cancellations, ratings) on their profile and listings, and
the rule: a configurable share of upheld claims holds new listings until staff reviewed the record."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from listings import lifecycle
from marketplace.errors import Conflict
from orders import record, services
from orders.models import ActorRole, Claim, ClaimState, Order, OrderState
from tests.factories import UserFactory
from tests.helpers import assert_error_shape
from tests.listings.factories import publishable
from tests.orders.factories import on_sale, order_for, shop

pytestmark = pytest.mark.django_db


def sold(seller=None, organization=None, *, upheld=False, completed=True):
    """A sale handed over by `seller`, completed, or with a grade claim upheld against it."""
    listing = on_sale(seller=seller, organization=organization)
    order = order_for(listing)
    order = services.hand_over(order, actor=listing.seller, code=order.handover_code)
    if upheld:
        Claim.objects.create(order=order, buyer=order.buyer, description="不符", state=ClaimState.UPHELD)
    elif completed:
        services.confirm_receipt(order, actor=order.buyer)
    return order


@pytest.fixture
def seller():
    return UserFactory()


def test_the_record_counts_sales_claims_cancellations_and_ratings(seller, client_for):
    from orders import reviews

    first, second = sold(seller), sold(seller)
    reviews.review(first, actor=first.buyer, rating=5, text="好")
    reviews.review(second, actor=second.buyer, rating=4)
    sold(seller, upheld=True)
    cancelled = order_for(on_sale(seller=seller))
    services.cancel(cancelled, actor=seller, reason="不卖了")
    bought_elsewhere = order_for(on_sale(seller=seller))
    services.cancel(bought_elsewhere, actor=bought_elsewhere.buyer)  # the buyer's change of mind: not counted

    body = client_for(None).get(f"/api/v1/sellers/{seller.pk}/record").json()

    assert body == {"completed_sales": 2, "handed_over_sales": 3, "upheld_claims": 1, "cancellations": 1,
                    "reviews": 2, "rating": "4.5", "upheld_share": "0.333", "new_listings_held": False,
                    "cleared_at": None}


def test_an_organization_s_record_is_its_own(client_for):
    organization = shop()
    sold(organization=organization)
    body = client_for(None).get(f"/api/v1/organizations/{organization.pk}/record").json()
    assert body["completed_sales"] == 1
    listing = on_sale(organization=organization)
    assert client_for(None).get(f"/api/v1/listings/{listing.pk}/seller-record").json()["completed_sales"] == 1
    assert client_for(None).get(f"/api/v1/sellers/{listing.seller_id}/record").json()["completed_sales"] == 0


def test_unknown_sellers_are_404(client_for):
    assert_error_shape(client_for(None).get("/api/v1/sellers/999999/record"), 404)
    assert_error_shape(client_for(None).get("/api/v1/organizations/999999/record"), 404)


def test_too_many_upheld_claims_hold_new_listings_until_staff_review(seller, settings, staff, client_for):
    settings.ORDERS_UPHELD_CLAIM_MIN = 2
    settings.ORDERS_UPHELD_CLAIM_SHARE = Decimal("0.2")
    for _ in range(3):
        sold(seller)
    sold(seller, upheld=True)
    already_on_sale = on_sale(seller=seller)
    draft = publishable(seller=seller)
    assert lifecycle.publish(draft, actor=seller).state == "active"  # one upheld claim: under the minimum

    sold(seller, upheld=True)  # 2 of 5 handed-over sales: 40 %
    held = publishable(seller=seller)
    with pytest.raises(Conflict) as refused:
        lifecycle.publish(held, actor=seller)
    assert refused.value.code == "not_publishable"
    assert "2 of 5 sales" in refused.value.message
    already_on_sale.refresh_from_db()
    assert already_on_sale.state == "active"  # what was on sale stays

    assert_error_shape(client_for(seller).post(f"/api/v1/sellers/{seller.pk}/record/clear", {"reason": "已核实"}), 403)
    cleared = client_for(staff).post(f"/api/v1/sellers/{seller.pk}/record/clear", {"reason": "已电话核实，卖家已整改"})
    assert cleared.status_code == 201 and cleared.json()["new_listings_held"] is False
    assert lifecycle.publish(held, actor=seller).state == "active"

    sold(seller, upheld=True)  # another upheld claim: held again
    with pytest.raises(Conflict):
        lifecycle.publish(publishable(seller=seller), actor=seller)


def test_clearing_a_record_that_is_not_held_is_409(seller, staff, client_for):
    response = client_for(staff).post(f"/api/v1/sellers/{seller.pk}/record/clear", {"reason": "看看"})
    assert_error_shape(response, 409, "not_held")


def test_records_of_a_page_of_listings_take_a_fixed_number_of_queries(django_assert_max_num_queries):
    organization = shop()
    listings = [on_sale(organization=organization)] + [on_sale() for _ in range(6)]
    sold(organization=organization)
    sold(listings[1].seller, upheld=True)

    with django_assert_max_num_queries(6):
        records = record.records_for_listings(listings)

    assert records[listings[0].pk].completed_sales == 1
    assert records[listings[1].pk].upheld_claims == 1
    assert records[listings[2].pk] == record.record_for_listing(listings[2])


def test_the_record_reads_sales_only_once_they_reached_the_buyer(seller):
    order_for(on_sale(seller=seller))  # pending: not a sale yet
    assert record.seller_record(seller=seller).handed_over_sales == 0
    order = sold(seller, completed=False)
    Order.objects.filter(pk=order.pk).update(handed_over_at=timezone.now() - timedelta(days=1))
    assert record.seller_record(seller=seller).handed_over_sales == 1
    assert Order.objects.get(pk=order.pk).state == OrderState.HANDED_OVER
    assert order.transitions.last().actor_role == ActorRole.SELLER
