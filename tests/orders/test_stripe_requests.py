"""The exact requests we send to Stripe (answered from recorded JSON): the PaymentIntent, the payout
transfer on release, refunds before and after it (with the transfer reversal), Connect onboarding."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from orders import services
from orders.gateways import recorded
from orders.models import ConnectAccount, Order, OrderState
from orders.money import to_fen
from tests.factories import UserFactory, member_of
from tests.helpers import assert_error_shape
from tests.orders.factories import connected, on_sale, order_for, shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return shop()


@pytest.fixture
def account(organization):
    return connected(organization, account_id="acct_shop")


def paid_order(deliver, listing, buyer, quantity=1):
    order = order_for(listing, buyer, quantity=quantity)
    services.start_payment(order, actor=buyer)
    order.refresh_from_db()
    deliver(recorded.event("payment_intent.succeeded", recorded.payment_intent(
        id=order.payment_reference, amount=to_fen(order.total), status="succeeded", latest_charge="ch_paid",
        metadata={"order_id": str(order.pk)})))
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    return order


def handed_over(order):
    return services.hand_over(order, actor=order.seller, code=order.handover_code)


def refunded_event(order, amount_refunded):
    return recorded.event("charge.refunded", recorded.charge(
        id="ch_paid", payment_intent=order.payment_reference, amount=to_fen(order.total),
        amount_refunded=amount_refunded))


def test_the_payment_intent_is_created_once_in_fen_with_the_order_s_key(recorded_stripe, account, organization,
                                                                         client_for, buyer):
    listing = on_sale(organization=organization, quantity=5, price="19.99")

    response = client_for(buyer).post("/api/v1/orders/", {"listing": listing.pk, "quantity": 3})

    order = Order.objects.get(pk=response.json()["id"])
    (sent,) = recorded_stripe.sent("post", r"/v1/payment_intents")
    assert sent.params == {
        "amount": "5997", "currency": "cny", "automatic_payment_methods[enabled]": "true",
        "transfer_group": f"order-{order.pk}", "description": f"{listing.title} × 3",
        "metadata[order_id]": str(order.pk), "metadata[listing_id]": str(listing.pk),
        "metadata[buyer_id]": str(buyer.pk),
    }
    assert sent.idempotency_key == f"order-{order.pk}-payment"

    again = client_for(buyer).post(f"/api/v1/orders/{order.pk}/pay")

    assert again.json()["reference"] == order.payment_reference
    assert len(recorded_stripe.sent("post", r"/v1/payment_intents")) == 1
    assert len(recorded_stripe.sent("get", rf"/v1/payment_intents/{order.payment_reference}")) == 1


def test_receipt_releases_the_seller_s_share_to_the_connected_account(recorded_stripe, account, organization,
                                                                      deliver, after_commit, client_for, buyer):
    order = handed_over(paid_order(deliver, on_sale(organization=organization, price="199.90"), buyer))
    assert not recorded_stripe.sent("post", r"/v1/transfers")

    with after_commit():
        client_for(buyer).post(f"/api/v1/orders/{order.pk}/confirm-receipt")

    (transfer,) = recorded_stripe.sent("post", r"/v1/transfers")
    assert transfer.params == {
        "amount": "18990", "currency": "cny", "destination": "acct_shop",  # 199.90 less 5 %: 9.995 -> 10.00
        "transfer_group": f"order-{order.pk}", "source_transaction": "ch_paid",
        "metadata[order_id]": str(order.pk), "metadata[listing_id]": str(order.listing_id),
    }
    assert transfer.idempotency_key == f"order-{order.pk}-payout"
    order.refresh_from_db()
    assert order.payout_amount == Decimal("189.90") and order.payout_reference.startswith("tr_")
    assert order.released_at is not None

    services.release_payout(order.pk)  # a retry sends nothing
    assert len(recorded_stripe.sent("post", r"/v1/transfers")) == 1


def test_the_confirmation_period_releases_without_an_open_claim(recorded_stripe, account, organization, deliver,
                                                               after_commit, buyer):
    order = handed_over(paid_order(deliver, on_sale(organization=organization), buyer))
    Order.objects.filter(pk=order.pk).update(handed_over_at=timezone.now() - timedelta(days=8))

    with after_commit():
        assert services.complete_due_orders() == 1

    assert len(recorded_stripe.sent("post", r"/v1/transfers")) == 1


def test_a_refund_before_release_needs_no_reversal(recorded_stripe, account, organization, deliver, after_commit,
                                                   client_for, buyer):
    order = paid_order(deliver, on_sale(organization=organization, price="88.80"), buyer)
    seller_admin = member_of(organization, Role.ADMIN)

    with after_commit():
        response = client_for(seller_admin).post(f"/api/v1/orders/{order.pk}/refund", {"reason": "无法交付"})

    assert response.status_code == 201, response.content
    (sent,) = recorded_stripe.sent("post", r"/v1/refunds")
    refund_id = response.json()["id"]
    assert sent.params == {"payment_intent": order.payment_reference, "amount": "8880",
                           "reason": "requested_by_customer", "metadata[order_id]": str(order.pk),
                           "metadata[listing_id]": str(order.listing_id), "metadata[refund_id]": str(refund_id)}
    assert sent.idempotency_key == f"order-{order.pk}-refund-{refund_id}"

    with after_commit():
        deliver(refunded_event(order, 8880))

    order.refresh_from_db()
    assert (order.state, order.amount_refunded) == (OrderState.REFUNDED, Decimal("88.80"))
    assert not recorded_stripe.sent("post", r"/v1/transfers.*")


def test_a_partial_refund_before_release_pays_out_the_rest(recorded_stripe, account, organization, deliver,
                                                           after_commit, staff, buyer):
    order = handed_over(paid_order(deliver, on_sale(organization=organization, price="100.00"), buyer))

    with after_commit():
        services.request_refund(order, actor=staff, amount=Decimal("30.00"), reason="轻微划痕，部分退款")
        deliver(refunded_event(order, 3000))

    (transfer,) = recorded_stripe.sent("post", r"/v1/transfers")
    assert transfer.params["amount"] == "6650"  # seller's 95.00 less their 95 % of the 30.00 refunded
    assert Order.objects.get(pk=order.pk).state == OrderState.REFUNDED


def test_a_refund_after_release_reverses_the_seller_s_part(recorded_stripe, account, organization, deliver,
                                                           after_commit, staff, buyer):
    order = handed_over(paid_order(deliver, on_sale(organization=organization, price="100.00"), buyer))
    with after_commit():
        services.confirm_receipt(order, actor=buyer)
    order.refresh_from_db()

    with after_commit():
        refund = services.request_refund(order, actor=staff, amount=Decimal("40.00"), reason="鉴定后部分退款")

    (sent,) = recorded_stripe.sent("post", r"/v1/refunds")
    assert sent.params["amount"] == "4000"
    (reversal,) = recorded_stripe.sent("post", rf"/v1/transfers/{order.payout_reference}/reversals")
    assert reversal.params["amount"] == "3800"  # the seller had 95 % of the order
    assert reversal.idempotency_key == f"order-{order.pk}-refund-{refund.pk}-reversal"
    refund.refresh_from_db()
    assert refund.reversal_reference.startswith("trr_")

    with after_commit():
        deliver(refunded_event(order, 4000))
    assert Order.objects.get(pk=order.pk).state == OrderState.REFUNDED
    assert len(recorded_stripe.sent("post", r"/v1/transfers")) == 1  # nothing more paid out


def test_cancelling_a_stripe_order_cancels_its_payment_intent(recorded_stripe, account, organization, client_for,
                                                              buyer):
    order = order_for(on_sale(organization=organization), buyer)
    services.start_payment(order, actor=buyer)
    order.refresh_from_db()

    client_for(buyer).post(f"/api/v1/orders/{order.pk}/cancel")

    (cancel,) = recorded_stripe.sent("post", rf"/v1/payment_intents/{order.payment_reference}/cancel")
    assert cancel.idempotency_key == f"order-{order.pk}-cancel"
    assert Order.objects.get(pk=order.pk).state == OrderState.CANCELLED


def test_a_payment_under_way_cannot_be_cancelled(recorded_stripe, account, organization, client_for, buyer):
    order = order_for(on_sale(organization=organization), buyer)
    services.start_payment(order, actor=buyer)
    recorded_stripe.answer("post", r"/v1/payment_intents/[^/]+/cancel", {"error": {
        "type": "invalid_request_error", "code": "payment_intent_unexpected_state", "message": "processing"}},
        status=400, first=True)

    assert_error_shape(client_for(buyer).post(f"/api/v1/orders/{order.pk}/cancel"), 409, "payment_in_progress")
    assert Order.objects.get(pk=order.pk).state == OrderState.PENDING_PAYMENT


def test_connect_onboarding_creates_one_express_account_and_a_fresh_link(recorded_stripe, organization, client_for):
    admin = member_of(organization, Role.ADMIN)

    response = client_for(admin).post(f"/api/v1/organizations/{organization.pk}/payouts/onboarding")

    assert response.status_code == 201, response.content
    (created,) = recorded_stripe.sent("post", r"/v1/accounts")
    assert created.params == {"type": "express", "business_profile[name]": organization.name,
                              "capabilities[transfers][requested]": "true",
                              "metadata[organization_id]": str(organization.pk)}
    assert created.idempotency_key == f"organization-{organization.pk}-account"
    (link,) = recorded_stripe.sent("post", r"/v1/account_links")
    account = ConnectAccount.objects.get(organization=organization)
    assert link.params["account"] == account.account_id and link.params["type"] == "account_onboarding"
    assert link.params["return_url"].endswith(f"/api/v1/organizations/{organization.pk}/payouts?onboarding=return")
    assert response.json()["url"].startswith("https://connect.stripe.com/")
    assert response.json()["account"]["transfers_active"] is False

    client_for(admin).post(f"/api/v1/organizations/{organization.pk}/payouts/onboarding")
    assert len(recorded_stripe.sent("post", r"/v1/accounts")) == 1
    assert len(recorded_stripe.sent("post", r"/v1/account_links")) == 2


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("member", 403), ("stranger", 403), ("staff", 403)])
def test_only_organization_admins_onboard(recorded_stripe, organization, client_for, api, staff, who, status):
    user = {"member": lambda: member_of(organization, Role.MEMBER), "stranger": UserFactory,
            "staff": lambda: staff}.get(who)
    client = api if who == "anonymous" else client_for(user())
    assert_error_shape(client.post(f"/api/v1/organizations/{organization.pk}/payouts/onboarding"), status)
    assert not recorded_stripe.requests


def test_account_updated_enables_transfers_and_releases_what_waited(recorded_stripe, organization, deliver,
                                                                    after_commit, client_for, buyer):
    waiting = connected(organization, account_id="acct_new", transfers_active=False)
    waiting.transfers_active = True  # buyers could pay while onboarding was finishing
    waiting.save()
    order = handed_over(paid_order(deliver, on_sale(organization=organization), buyer))
    ConnectAccount.objects.filter(pk=waiting.pk).update(transfers_active=False)
    with after_commit():
        services.confirm_receipt(order, actor=buyer)
    assert not recorded_stripe.sent("post", r"/v1/transfers")  # nowhere to send it yet

    older = recorded.event("account.updated", recorded.account(id="acct_new"), created=1_700_000_000)
    newer = recorded.event("account.updated", recorded.account(id="acct_new", transfers="active",
                                                               payouts_enabled=True, details_submitted=True),
                           created=1_700_000_100)
    deliver(newer)
    deliver(older)  # arrives late: changes nothing

    account = ConnectAccount.objects.get(pk=waiting.pk)
    assert account.transfers_active and account.payouts_enabled
    (transfer,) = recorded_stripe.sent("post", r"/v1/transfers")
    assert transfer.params["destination"] == "acct_new"
    admin = organization.memberships.get(role="admin").user
    status = client_for(admin).get(f"/api/v1/organizations/{organization.pk}/payouts").json()
    assert status["accepts_payments_through_platform"] is True
