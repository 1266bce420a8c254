"""Stripe webhooks: verified, stored, then processed exactly once, and retried until processed.

1. `receive(body, signature)` checks the `Stripe-Signature` header against STRIPE_WEBHOOK_SECRET
   (a wrong or missing signature, or one older than five minutes, is refused: 400), and stores
   the event under its id. The id is unique: a replay, or the same event delivered twice at the
   same moment, stores nothing the second time and is answered 200 like the first.
2. `process(event)` runs after the store committed (a task): it locks the event row, does nothing
   if the event was already processed, else runs the handler of its type in a savepoint. A
   failure rolls the handler back, keeps the error and schedules a retry with backoff
   (`retry_webhook_events`, every minute); nothing is dropped. Types without a handler are
   stored and acknowledged.

Handlers look orders up by PaymentIntent id (stored when the payment starts) or the order id in
the metadata, and tolerate events out of order: a refund reported before the payment records the
payment first; a payment failure after the success, or an older account status, changes nothing.
"""
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.errors import DomainError, NotFound
from marketplace.tasks import send_on_commit
from orders import connect, services
from orders.models import Order, PaymentMethod, WebhookEvent, WebhookStatus
from orders.money import from_fen, to_fen

logger = logging.getLogger("orders.webhooks")

MAX_DELAY = timedelta(hours=6)
STAFF_ALERT_AFTER = 5  # failed attempts before staff hear of an event that keeps failing
UNPROCESSED_GRACE = timedelta(minutes=1)  # a received event whose task never ran is picked up after this


@dataclass(frozen=True)
class Outcome:
    status: str
    note: str = ""


def processed(note=""):
    return Outcome(WebhookStatus.PROCESSED, note)


def ignored(note):
    return Outcome(WebhookStatus.IGNORED, note)


def receive(body: bytes, signature: str | None) -> tuple[WebhookEvent, bool]:
    """Verify and store an event; returns (event, True) when it is new. Raises DomainError (400)."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        # Not an outage but an endpoint this site does not have: 404 (Stripe retries any non-2xx
        # answer for days, so events sent before the secret is set are still delivered after).
        raise NotFound(_("Stripe webhooks are not set up on this site."), code="webhooks_not_configured")
    try:
        stripe.Webhook.construct_event(body, signature, secret)
        data = json.loads(body)
    except stripe.SignatureVerificationError as exc:
        raise DomainError(_("The Stripe-Signature header does not match this body, or it is too old."),
                          code="invalid_signature") from exc
    except ValueError as exc:  # not JSON, or not UTF-8
        raise DomainError(_("This is not a Stripe event."), code="invalid_payload") from exc
    if not isinstance(data, dict) or not data.get("id") or not data.get("type") or "data" not in data:
        raise DomainError(_("This is not a Stripe event."), code="invalid_payload")
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                event_id=str(data["id"])[:255], type=str(data["type"])[:100], livemode=bool(data.get("livemode")),
                created=datetime.fromtimestamp(int(data.get("created") or 0), tz=UTC), payload=data,
            )
    except IntegrityError:
        return WebhookEvent.objects.get(event_id=data["id"]), False
    send_on_commit(services._tasks().process_webhook_event, event.pk)
    return event, True


def process(event_pk: int) -> str:
    """Process a stored event once; returns its status afterwards."""
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None:
            return "missing"
        if event.status in (WebhookStatus.PROCESSED, WebhookStatus.IGNORED):
            return event.status
        event.attempts += 1
        handler = HANDLERS.get(event.type)
        now = timezone.now()
        try:
            with transaction.atomic():
                outcome = handler(event.payload) if handler else ignored("no handler for this type")
        except Exception as exc:
            logger.exception("Stripe event %s (%s) failed, attempt %s", event.event_id, event.type, event.attempts)
            event.status = WebhookStatus.FAILED
            event.last_error = f"{exc.__class__.__name__}: {exc}"[:4000]
            event.next_attempt_at = now + min(timedelta(minutes=2 ** min(event.attempts, 10)), MAX_DELAY)
            if event.attempts == STAFF_ALERT_AFTER:
                services.notify_staff("stripe_event_failing", {"event": event.event_id, "type": event.type,
                                                               "error": event.last_error[:300]})
        else:
            event.status, event.note = outcome.status, outcome.note[:2000]
            event.processed_at, event.next_attempt_at = now, None
        event.save(update_fields=["status", "note", "attempts", "last_error", "processed_at", "next_attempt_at"])
        return event.status


def retry_due(now=None, limit: int = 500) -> dict:
    """Process failed events whose retry time came, and received ones whose task never ran."""
    now = now or timezone.now()
    due = WebhookEvent.objects.filter(status=WebhookStatus.FAILED, next_attempt_at__lte=now) | WebhookEvent.objects.filter(
        status=WebhookStatus.RECEIVED, received_at__lte=now - UNPROCESSED_GRACE)
    counts: dict[str, int] = {}
    for pk in list(due.order_by("received_at", "pk").values_list("pk", flat=True)[:limit]):
        status = process(pk)
        counts[status] = counts.get(status, 0) + 1
    return counts


# --- handlers: payload -> Outcome ---------------------------------------------------------------

def _object(payload) -> dict:
    return payload["data"]["object"]


def _id(value) -> str:
    """An id from a field that may be expanded into an object."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _order_for_payment(intent_id: str, metadata: dict | None = None) -> Order | None:
    if intent_id:
        order = Order.objects.filter(payment_reference=intent_id, payment_method=PaymentMethod.STRIPE).first()
        if order is not None:
            return order
    order_id = str((metadata or {}).get("order_id") or "")
    if order_id.isdigit():
        order = Order.objects.filter(pk=int(order_id), payment_method=PaymentMethod.STRIPE).first()
        if order is not None and order.payment_reference in ("", intent_id):
            return order
    return None


def payment_succeeded(payload) -> Outcome:
    intent = _object(payload)
    order = _order_for_payment(intent["id"], intent.get("metadata"))
    if order is None:
        return ignored("not one of our orders")
    received = intent.get("amount_received") or intent.get("amount")
    if str(intent.get("currency", "")).lower() != "cny" or received != to_fen(order.total):
        services.notify_staff("order_payment_mismatch", {"order": order.pk, "title": order.title,
                                                         "total": order.total, "received": from_fen(received or 0)})
        return processed("amount or currency differs from the order: left to staff")
    services.record_payment(order, reference=intent["id"], charge_reference=_id(intent.get("latest_charge")))
    return processed()


def payment_failed(payload) -> Outcome:
    intent = _object(payload)
    order = _order_for_payment(intent["id"], intent.get("metadata"))
    if order is None:
        return ignored("not one of our orders")
    services.record_payment_failure(order, message=(intent.get("last_payment_error") or {}).get("message") or "")
    return processed()


def charge_refunded(payload) -> Outcome:
    charge = _object(payload)
    intent_id = _id(charge.get("payment_intent"))
    order = _order_for_payment(intent_id, charge.get("metadata"))
    if order is None:
        return ignored("not one of our orders")
    paid = charge.get("amount_captured") if charge.get("paid") and charge.get("captured", True) else None
    services.record_refunds(
        order, amount_refunded=from_fen(charge["amount_refunded"]), charge_reference=charge["id"],
        payment_reference=intent_id, payment_amount=from_fen(paid) if paid is not None else None,
    )
    return processed()


def dispute_changed(payload) -> Outcome:
    dispute = _object(payload)
    order = _order_for_payment(_id(dispute.get("payment_intent")))
    if order is None and dispute.get("charge"):
        order = Order.objects.filter(charge_reference=_id(dispute["charge"])).first()
    if order is None:
        return ignored("not one of our orders")
    closed = payload["type"] == "charge.dispute.closed" or dispute.get("status") in ("won", "lost", "warning_closed")
    services.record_dispute(order, reference=dispute["id"], amount=from_fen(dispute.get("amount") or 0),
                            reason=str(dispute.get("reason") or ""), status=str(dispute.get("status") or ""),
                            closed=closed)
    return processed()


def account_updated(payload) -> Outcome:
    note = connect.account_updated(_object(payload), created=int(payload.get("created") or 0))
    if note == "not one of our connected accounts":
        return ignored(note)
    return processed(note)


HANDLERS = {
    "payment_intent.succeeded": payment_succeeded,
    "payment_intent.payment_failed": payment_failed,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": dispute_changed,
    "charge.dispute.updated": dispute_changed,
    "charge.dispute.closed": dispute_changed,
    "account.updated": account_updated,
}
