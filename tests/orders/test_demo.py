"""The orders demo: completed, paid-and-held, refunded and disputed orders and one open claim, made
through the services and signed Stripe events (recorded Stripe answers when no key is set); idempotent."""
import pytest

from accounts import demo as accounts_demo
from listings import demo as listings_demo
from orders import demo
from orders.gateways import stripe as stripe_gateway
from orders.models import (
    Claim,
    ConnectAccount,
    Order,
    OrderState,
    OrderTransition,
    PaymentMethod,
    WebhookEvent,
)

pytestmark = pytest.mark.django_db


def snapshot():
    return (Order.objects.count(), OrderTransition.objects.count(), WebhookEvent.objects.count(),
            Claim.objects.count())


def test_the_demo_orders_cover_every_state_the_issue_names(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    world = {}
    accounts_demo.load(world)
    listings_demo.load(world)

    summary = demo.load(world)

    assert "recorded Stripe answers" in summary
    orders = {(order.buyer.email or order.buyer.phone, order.state) for order in Order.objects.select_related("buyer")}
    assert ("zhang.min@example.com", OrderState.COMPLETED) in orders  # offline, reviewed
    held = Order.objects.get(state=OrderState.PAID)
    assert held.payment_method == PaymentMethod.STRIPE and held.released_at is None
    assert Order.objects.filter(state=OrderState.COMPLETED, released_at__isnull=False).count() == 1
    assert Order.objects.get(state=OrderState.REFUNDED).amount_refunded > 0
    assert Order.objects.get(frozen=True).disputes.count() == 1
    assert Claim.objects.get().state == "open" and Claim.objects.get().photos.count() == 1
    assert ConnectAccount.objects.get().transfers_active
    # every Stripe state came from a signed event through the webhook pipeline
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert OrderTransition.objects.filter(to_state="paid", actor_role="stripe").count() == 4
    assert not stripe_gateway.is_configured() and stripe_gateway.HTTP_CLIENT is None  # left as it was

    before = snapshot()
    assert "made now: nothing" in demo.load(world)
    assert snapshot() == before
