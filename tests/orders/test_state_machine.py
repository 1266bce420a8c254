"""The order state machine: every legal move is recorded once with its actor and reason; every
illegal one is a 409 that changes nothing; cancelling or expiring gives the units back."""
from datetime import timedelta
from itertools import product

import pytest
from django.utils import timezone

from listings.models import ListingState
from marketplace.errors import Conflict
from orders import services
from orders.models import ActorRole, Order, OrderState, OrderTransition
from tests.helpers import assert_error_shape
from tests.orders.factories import on_sale, order_for, shop

pytestmark = pytest.mark.django_db
S = OrderState

LEGAL = {
    (S.PENDING_PAYMENT, S.PAID), (S.PENDING_PAYMENT, S.CANCELLED), (S.PENDING_PAYMENT, S.EXPIRED),
    (S.PAID, S.HANDED_OVER), (S.PAID, S.REFUND_REQUESTED), (S.HANDED_OVER, S.COMPLETED),
    (S.HANDED_OVER, S.REFUND_REQUESTED), (S.COMPLETED, S.REFUND_REQUESTED), (S.REFUND_REQUESTED, S.REFUNDED),
}


@pytest.mark.parametrize("from_state, to_state", list(product(S.values, S.values)))
def test_the_table_allows_exactly_the_documented_moves(buyer, from_state, to_state):
    order = order_for(on_sale(), buyer)
    Order.objects.filter(pk=order.pk).update(state=from_state)
    order.refresh_from_db()
    before = OrderTransition.objects.count()

    if (from_state, to_state) in LEGAL:
        services.ORDER.move(order, to_state, actor=buyer, role=ActorRole.BUYER, reason="测试")
        assert Order.objects.get(pk=order.pk).state == to_state
        last = OrderTransition.objects.latest("id")
        assert (last.from_state, last.to_state, last.actor, last.reason) == (from_state, to_state, buyer, "测试")
        assert OrderTransition.objects.count() == before + 1
    else:
        with pytest.raises(Conflict) as refused:
            services.ORDER.move(order, to_state, actor=buyer, role=ActorRole.BUYER, reason="测试")
        assert refused.value.code == "invalid_transition"
        assert Order.objects.get(pk=order.pk).state == from_state
        assert OrderTransition.objects.count() == before


def test_receipt_cannot_be_confirmed_before_the_hand_over(client_for, buyer):
    order = order_for(on_sale(), buyer)
    response = client_for(buyer).post(f"/api/v1/orders/{order.pk}/confirm-receipt")
    assert_error_shape(response, 409, "invalid_transition")


def test_a_paid_order_is_not_cancelled_but_refunded(client_for, buyer):
    listing = on_sale()
    order = order_for(listing, buyer)
    services.hand_over(order, actor=listing.seller, code=order.handover_code)

    assert_error_shape(client_for(buyer).post(f"/api/v1/orders/{order.pk}/cancel"), 409, "invalid_transition")


def test_an_unpaid_order_cannot_be_refunded(client_for, buyer):
    listing = on_sale()
    order = order_for(listing, buyer)
    response = client_for(listing.seller).post(f"/api/v1/orders/{order.pk}/refund", {"reason": "缺货"})
    assert_error_shape(response, 409, "invalid_transition")


def test_cancelling_gives_the_units_back(client_for, buyer):
    listing = on_sale(organization=shop(), quantity=2)
    first = order_for(listing, buyer, quantity=2)
    listing.refresh_from_db()
    assert listing.state == ListingState.RESERVED

    response = client_for(buyer).post(f"/api/v1/orders/{first.pk}/cancel", {"reason": "买错了"})

    assert response.json()["state"] == "cancelled"
    listing.refresh_from_db()
    assert (listing.state, listing.quantity) == (ListingState.ACTIVE, 2)
    assert order_for(listing, quantity=2).state == S.PENDING_PAYMENT
    cancel = OrderTransition.objects.get(order=first, to_state="cancelled")
    assert (cancel.actor, cancel.actor_role, cancel.reason) == (buyer, "buyer", "买错了")


def test_the_seller_may_cancel_and_it_counts_on_their_record(client_for, buyer):
    listing = on_sale()
    order = order_for(listing, buyer)

    client_for(listing.seller).post(f"/api/v1/orders/{order.pk}/cancel", {"reason": "不卖了"})

    record = client_for(None).get(f"/api/v1/sellers/{listing.seller_id}/record").json()
    assert record["cancellations"] == 1


def test_expiry_returns_the_stock_only_when_due(buyer):
    listing = on_sale(organization=shop(), quantity=3)
    due = order_for(listing, buyer, quantity=1)
    not_due = order_for(listing, quantity=2)
    Order.objects.filter(pk=due.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))

    assert services.expire_reservations() == 1

    assert Order.objects.get(pk=due.pk).state == S.EXPIRED
    assert Order.objects.get(pk=not_due.pk).state == S.PENDING_PAYMENT
    listing.refresh_from_db()
    assert listing.state == ListingState.ACTIVE  # one unit free again
    assert services.held_units(listing) == 2


def test_a_sale_of_part_of_the_stock_leaves_the_rest_on_sale(buyer):
    listing = on_sale(organization=shop(), quantity=3)
    order = order_for(listing, buyer, quantity=2)

    services.hand_over(order, actor=listing.seller, code=order.handover_code)

    listing.refresh_from_db()
    assert (listing.state, listing.quantity) == (ListingState.ACTIVE, 1)


def test_orders_complete_on_their_own_after_the_confirmation_period(buyer, settings):
    settings.ORDERS_AUTO_COMPLETE_DAYS = 7
    listing = on_sale()
    order = order_for(listing, buyer)
    services.hand_over(order, actor=listing.seller, code=order.handover_code)
    Order.objects.filter(pk=order.pk).update(handed_over_at=timezone.now() - timedelta(days=6))
    assert services.complete_due_orders() == 0

    Order.objects.filter(pk=order.pk).update(handed_over_at=timezone.now() - timedelta(days=7, minutes=1))
    assert services.complete_due_orders() == 1

    done = OrderTransition.objects.get(order=order, to_state="completed")
    assert (done.actor, done.actor_role) == (None, "platform")
