"""The Stripe webhook: real signatures (good, bad, expired), every event stored under its id and
processed once, unknown types stored and acknowledged, failures retried, events out of order."""
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from listings.models import ListingState
from notifications.models import Notification
from orders import services, webhooks
from orders.gateways import recorded
from orders.models import Order, OrderState, OrderTransition, Refund, WebhookEvent
from orders.money import to_fen
from tests.helpers import assert_error_shape
from tests.orders.conftest import WEBHOOK_PATH
from tests.orders.factories import connected, on_sale, order_for, shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(recorded_stripe, buyer):
    organization = shop()
    connected(organization)
    created = order_for(on_sale(organization=organization, price="88.80"), buyer)
    services.start_payment(created, actor=buyer)
    created.refresh_from_db()
    return created


def succeeded(order, **fields):
    return recorded.event("payment_intent.succeeded", recorded.payment_intent(
        id=order.payment_reference, amount=to_fen(order.total), status="succeeded", latest_charge="ch_paid",
        metadata={"order_id": str(order.pk)}), **fields)


def refunded(order, amount_refunded, **fields):
    return recorded.event("charge.refunded", recorded.charge(
        id="ch_paid", payment_intent=order.payment_reference, amount=to_fen(order.total),
        amount_refunded=amount_refunded), **fields)


def test_a_signed_payment_event_pays_the_order(deliver, order):
    response = deliver(succeeded(order))

    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    assert WebhookEvent.objects.get().status == "processed"
    order.refresh_from_db()
    assert (order.state, order.charge_reference) == (OrderState.PAID, "ch_paid")
    assert order.listing.state == ListingState.SOLD
    paid = OrderTransition.objects.get(order=order, to_state="paid")
    assert (paid.actor, paid.actor_role) == (None, "stripe")


def test_a_bad_signature_is_refused(deliver, order):
    response = deliver(succeeded(order), secret="whsec_someone_else")
    assert_error_shape(response, 400, "invalid_signature")
    assert not WebhookEvent.objects.exists()
    assert Order.objects.get(pk=order.pk).state == OrderState.PENDING_PAYMENT


def test_an_old_signature_is_refused(deliver, order):
    response = deliver(succeeded(order), timestamp=int(time.time()) - 3600)
    assert_error_shape(response, 400, "invalid_signature")
    assert not WebhookEvent.objects.exists()


def test_a_missing_signature_is_refused(deliver, order):
    assert_error_shape(deliver(succeeded(order), header=""), 400, "invalid_signature")


def test_a_body_changed_after_signing_is_refused(api, order):
    body, signature = recorded.signed(succeeded(order), "whsec_orders_test_secret")
    tampered = body.replace(b'"amount": 8880', b'"amount": 1')
    response = api.post(WEBHOOK_PATH, data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert_error_shape(response, 400, "invalid_signature")


def test_without_a_webhook_secret_the_endpoint_is_unavailable(deliver, order, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert_error_shape(deliver(succeeded(order)), 404, "webhooks_not_configured")


def test_a_replayed_event_does_nothing_the_second_time(deliver, order):
    event = succeeded(order)
    deliver(event)

    again = deliver(event)

    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert WebhookEvent.objects.count() == 1
    assert OrderTransition.objects.filter(order=order, to_state="paid").count() == 1
    assert Notification.objects.filter(kind="order_paid").count() == 1


def test_the_same_payment_in_a_new_event_changes_nothing_either(deliver, order):
    deliver(succeeded(order))
    deliver(succeeded(order))  # Stripe may send a second event about the same PaymentIntent
    assert WebhookEvent.objects.filter(status="processed").count() == 2
    assert OrderTransition.objects.filter(order=order, to_state="paid").count() == 1


def test_unknown_event_types_are_stored_and_acknowledged(deliver, stripe_events):
    event = recorded.event("customer.created", {"id": "cus_1", "object": "customer"})
    response = deliver(event)
    assert response.status_code == 200
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert (stored.status, stored.type, stored.payload["data"]["object"]["id"]) == ("ignored", "customer.created",
                                                                                    "cus_1")


def test_events_about_payments_we_do_not_know_are_acknowledged(deliver, stripe_events):
    event = recorded.event("payment_intent.succeeded", recorded.payment_intent(amount=100, status="succeeded"))
    assert deliver(event).status_code == 200
    assert WebhookEvent.objects.get().note == "not one of our orders"


def test_non_events_are_refused(api, stripe_events):
    body, signature = recorded.signed('{"hello": "world"}', stripe_events)
    response = api.post(WEBHOOK_PATH, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert_error_shape(response, 400, "invalid_payload")


def test_a_failed_processing_is_kept_and_retried_until_it_works(deliver, order, monkeypatch):
    real = webhooks.HANDLERS["payment_intent.succeeded"]
    monkeypatch.setitem(webhooks.HANDLERS, "payment_intent.succeeded",
                        lambda payload: (_ for _ in ()).throw(RuntimeError("database hiccup")))

    response = deliver(succeeded(order))

    assert response.status_code == 200  # stored: Stripe need not resend it
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts) == ("failed", 1) and "database hiccup" in event.last_error
    assert Order.objects.get(pk=order.pk).state == OrderState.PENDING_PAYMENT  # rolled back
    assert webhooks.retry_due() == {}  # not before its backoff

    monkeypatch.setitem(webhooks.HANDLERS, "payment_intent.succeeded", real)
    assert webhooks.retry_due(now=timezone.now() + timedelta(minutes=5)) == {"processed": 1}
    assert Order.objects.get(pk=order.pk).state == OrderState.PAID
    assert webhooks.retry_due(now=timezone.now() + timedelta(days=1)) == {}  # once


def test_an_event_whose_task_never_ran_is_picked_up(order, stripe_events):
    body, signature = recorded.signed(succeeded(order), stripe_events)
    event, created = webhooks.receive(body, signature)  # no on-commit run: as if the broker were down
    assert created and event.status == "received"

    assert webhooks.retry_due(now=timezone.now() + timedelta(minutes=2)) == {"processed": 1}
    assert Order.objects.get(pk=order.pk).state == OrderState.PAID


def test_a_refund_reported_before_the_payment_records_both(deliver, order):
    deliver(refunded(order, amount_refunded=to_fen(order.total)))

    order.refresh_from_db()
    assert order.state == OrderState.REFUNDED and order.amount_refunded == order.total
    assert [t.to_state for t in order.transitions.order_by("id")] == [
        "pending_payment", "paid", "refund_requested", "refunded"]
    outside = Refund.objects.get(order=order)
    assert (outside.status, outside.requested_role) == ("succeeded", "stripe")

    deliver(succeeded(order))  # the late success changes nothing
    assert Order.objects.get(pk=order.pk).state == OrderState.REFUNDED
    assert OrderTransition.objects.filter(order=order, to_state="paid").count() == 1


def test_a_failure_reported_after_the_success_changes_nothing(deliver, order):
    deliver(succeeded(order))
    failure = recorded.event("payment_intent.payment_failed", recorded.payment_intent(
        id=order.payment_reference, amount=to_fen(order.total), status="requires_payment_method",
        last_payment_error={"message": "Your card was declined."}))

    deliver(failure)

    order.refresh_from_db()
    assert order.state == OrderState.PAID and order.payment_error == ""


def test_a_declined_payment_tells_the_buyer_and_keeps_the_reservation(deliver, order, client_for, buyer):
    failure = recorded.event("payment_intent.payment_failed", recorded.payment_intent(
        id=order.payment_reference, amount=to_fen(order.total), status="requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card was declined."}))

    deliver(failure)

    body = client_for(buyer).get(f"/api/v1/orders/{order.pk}/").json()
    assert (body["state"], body["payment_error"]) == ("pending_payment", "Your card was declined.")
    assert Notification.objects.filter(recipient=buyer, kind="order_payment_failed").exists()


def test_a_payment_of_another_amount_is_left_to_staff(deliver, order, staff):
    event = recorded.event("payment_intent.succeeded", recorded.payment_intent(
        id=order.payment_reference, amount=100, status="succeeded", metadata={"order_id": str(order.pk)}))

    deliver(event)

    assert Order.objects.get(pk=order.pk).state == OrderState.PENDING_PAYMENT
    assert Notification.objects.filter(recipient=staff, kind="order_payment_mismatch").exists()


def test_a_dispute_freezes_the_order_and_tells_staff(deliver, order, staff, client_for, buyer):
    deliver(succeeded(order))
    dispute = recorded.dispute(payment_intent=order.payment_reference, charge="ch_paid", amount=to_fen(order.total))

    deliver(recorded.event("charge.dispute.created", dispute))

    order.refresh_from_db()
    assert order.frozen
    assert Notification.objects.filter(recipient=staff, kind="order_disputed").count() == 1
    seller = order.organization.memberships.get().user
    response = client_for(seller).post(f"/api/v1/orders/{order.pk}/hand-over", {"code": order.handover_code})
    assert_error_shape(response, 409, "order_frozen")

    deliver(recorded.event("charge.dispute.closed", {**dispute, "status": "won"}))
    assert not Order.objects.get(pk=order.pk).frozen


def test_a_late_payment_for_an_expired_order_is_refunded_in_full(deliver, order, recorded_stripe, after_commit):
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    recorded_stripe.answer("post", r"/v1/payment_intents/[^/]+/cancel",
                           {"error": {"type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                                      "message": "This PaymentIntent's status is processing."}}, status=400,
                           first=True, times=1)
    assert services.expire_reservations() == 0  # the payment is under way: the webhook decides
    assert services.expire_reservations() == 1  # (say it was cancelled after all)

    deliver(succeeded(order))

    order.refresh_from_db()
    assert order.state == OrderState.EXPIRED
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.status) == (order.total, "submitted")
    (sent,) = recorded_stripe.sent("post", r"/v1/refunds")
    assert (sent.params["amount"], sent.params["payment_intent"]) == ("8880", order.payment_reference)

    deliver(refunded(order, amount_refunded=8880))
    order.refresh_from_db()
    assert (order.state, order.amount_refunded) == (OrderState.EXPIRED, Decimal("88.80"))
    assert Refund.objects.get(order=order).status == "succeeded"


def test_processing_a_processed_event_again_does_nothing(order, stripe_events):
    body, signature = recorded.signed(succeeded(order), stripe_events)
    event, _created = webhooks.receive(body, signature)

    assert webhooks.process(event.pk) == "processed"
    assert webhooks.process(event.pk) == "processed"

    assert WebhookEvent.objects.get(pk=event.pk).attempts == 1
    assert OrderTransition.objects.filter(order=order, to_state="paid").count() == 1
