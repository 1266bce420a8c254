"""Tasks of orders. The database says what is left to do, so each task can run again safely, and the
periodic ones pick up whatever an earlier attempt (or a broker that was down) left undone."""
import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from marketplace.images import make_pending_thumbnails, make_stored_thumbnail
from orders import services, webhooks
from orders.gateways import PaymentUnavailable
from orders.models import ClaimPhoto, Refund, RefundStatus

logger = logging.getLogger("orders")

PAYMENT_CALL_GRACE = timedelta(minutes=1)  # the on-commit task gets this long before the retry steps in
PENDING_THUMBNAIL_GRACE = timedelta(minutes=10)  # how long a claim photo may wait for its thumbnail task


@shared_task
def process_webhook_event(event_pk: int) -> str:
    return webhooks.process(event_pk)


@shared_task
def retry_webhook_events() -> dict:
    """Every minute: stored Stripe events that failed (after their backoff) or were never processed."""
    return webhooks.retry_due()


@shared_task
def expire_reservations() -> int:
    """Every minute: unpaid orders whose reservation ended give their units back."""
    return services.expire_reservations()


@shared_task
def complete_due_orders() -> int:
    """Hourly: orders handed over ORDERS_AUTO_COMPLETE_DAYS ago without a claim complete (and pay out)."""
    return services.complete_due_orders()


def _quietly(action, *args):
    try:
        return action(*args)
    except PaymentUnavailable as exc:
        logger.warning("%s%s will be retried: %s", action.__name__, args, exc.message)
        return None


@shared_task
def submit_refund(refund_id: int) -> bool:
    return _quietly(services.submit_refund, refund_id) is not None


@shared_task
def reverse_payout(refund_id: int) -> bool:
    return _quietly(services.reverse_payout, refund_id) is not None


@shared_task
def release_payout(order_id: int) -> bool:
    return _quietly(services.release_payout, order_id) is not None


@shared_task
def retry_payment_calls() -> dict:
    """Every five minutes: refunds not sent yet, reversals not made yet, payouts not sent yet."""
    before = timezone.now() - PAYMENT_CALL_GRACE
    refunds = list(Refund.objects.filter(status=RefundStatus.PENDING, created_at__lte=before,
                                         order__payment_method="stripe").values_list("pk", flat=True))
    reversals = list(Refund.objects.filter(reversal_amount__gt=0, reversal_reference="", created_at__lte=before)
                     .exclude(status=RefundStatus.PENDING).values_list("pk", flat=True))
    payouts = services.orders_waiting_for_payout()
    return {
        "refunds": sum(bool(submit_refund(pk)) for pk in refunds),
        "reversals": sum(bool(reverse_payout(pk)) for pk in reversals),
        "payouts": sum(bool(release_payout(pk)) for pk in payouts),
    }


@shared_task(name="orders.make_claim_thumbnail")
def make_claim_thumbnail(photo_id: int) -> bool:
    """After a claim photo was stored: make its thumbnail."""
    return make_stored_thumbnail(ClaimPhoto, photo_id)


@shared_task(name="orders.make_pending_claim_thumbnails")
def make_pending_claim_thumbnails() -> int:
    """Periodic: claim photos whose thumbnail task was lost get their thumbnail."""
    return make_pending_thumbnails(ClaimPhoto, older_than=PENDING_THUMBNAIL_GRACE)
