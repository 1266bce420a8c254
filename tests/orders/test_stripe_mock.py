"""The Stripe flows against stripe-mock, which checks every request against Stripe's published API
(an unknown parameter, a wrong type or a wrong path fails). It never moves money itself, so every
state change comes from events signed like Stripe signs them. Skipped with the reason when
stripe-mock is not running; PAYMENTS_REQUIRE_STRIPE_MOCK=1 (CI) makes that a failure."""
from decimal import Decimal

import pytest

from accounts.models import Role
from orders import services
from orders.gateways import recorded
from orders.models import ConnectAccount, Order, OrderState, Refund
from orders.money import to_fen
from tests.factories import member_of
from tests.orders.factories import on_sale, shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization(stripe_mock, client_for):
    """A merchant onboarded through stripe-mock, whose account.updated said transfers are active."""
    organization = shop()
    admin = member_of(organization, Role.ADMIN)
    response = client_for(admin).post(f"/api/v1/organizations/{organization.pk}/payouts/onboarding")
    assert response.status_code == 201, response.content
    assert response.json()["url"].startswith("https://")
    return organization


def activate(deliver, organization):
    account = ConnectAccount.objects.get(organization=organization)
    deliver(recorded.event("account.updated", recorded.account(id=account.account_id, transfers="active",
                                                               payouts_enabled=True, details_submitted=True)))
    account.refresh_from_db()
    assert account.account_id.startswith("acct_") and account.transfers_active


def test_connect_onboarding_and_account_link(organization):
    assert ConnectAccount.objects.get(organization=organization).account_id.startswith("acct_")


def test_payment_intent_payout_refund_and_reversal(organization, deliver, after_commit, client_for, buyer, staff):
    activate(deliver, organization)
    listing = on_sale(organization=organization, price="0.10", quantity=5)

    checkout = client_for(buyer).post("/api/v1/orders/", {"listing": listing.pk, "quantity": 3})

    assert checkout.status_code == 201, checkout.content
    payment = checkout.json()["payment"]
    assert payment["error"] is None and payment["reference"].startswith("pi_") and payment["client_secret"]
    order = Order.objects.get(pk=checkout.json()["id"])
    assert to_fen(order.total) == 30

    deliver(recorded.event("payment_intent.succeeded", recorded.payment_intent(
        id=order.payment_reference, amount=30, status="succeeded", latest_charge="ch_mock")))
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    services.hand_over(order, actor=order.seller, code=order.handover_code)
    with after_commit():
        services.confirm_receipt(order, actor=buyer)
    order.refresh_from_db()
    assert order.payout_reference.startswith("tr_") and order.released_at is not None

    with after_commit():
        services.request_refund(order, actor=staff, amount=Decimal("0.10"), reason="鉴定后部分退款")
    refund = Refund.objects.get(order=order)
    assert refund.status == "submitted" and refund.reference.startswith("re_")
    assert refund.reversal_reference.startswith("trr_")


def test_cancelling_cancels_the_payment_intent(organization, deliver, client_for, buyer):
    activate(deliver, organization)
    order_id = client_for(buyer).post("/api/v1/orders/", {"listing": on_sale(organization=organization).pk}).json()["id"]

    response = client_for(buyer).post(f"/api/v1/orders/{order_id}/cancel")

    assert response.status_code == 200 and response.json()["state"] == "cancelled"


def test_a_refund_before_release(organization, deliver, after_commit, client_for, buyer):
    activate(deliver, organization)
    order_id = client_for(buyer).post("/api/v1/orders/", {"listing": on_sale(organization=organization).pk}).json()["id"]
    order = Order.objects.get(pk=order_id)
    deliver(recorded.event("payment_intent.succeeded", recorded.payment_intent(
        id=order.payment_reference, amount=to_fen(order.total), status="succeeded")))

    with after_commit():
        services.request_refund(Order.objects.get(pk=order_id), actor=order.seller, reason="无法交付")

    refund = Refund.objects.get(order_id=order_id)
    assert refund.reference.startswith("re_") and refund.reversal_amount == 0 and not refund.reversal_reference
