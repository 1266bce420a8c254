"""Stripe: PaymentIntents in CNY charged on the platform and held, then transferred to the
selling organization's Connect Express account (separate charges and transfers, one
`transfer_group` per order); refunds, and reversals of transfers already made.

Amounts are integer fen from Decimal (orders.money); idempotency keys are derived from the order
(and the refund), so retries after a timeout or a crash never charge, refund or pay out twice.
One Stripe account serves one deployment: keys would collide between two sharing an account.
"""
import functools
import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from orders.gateways.base import PaymentGateway, PaymentStart, PaymentUnavailable, RefundResult
from orders.models import PaymentMethod
from orders.money import to_fen

logger = logging.getLogger("orders.stripe")

CURRENCY = "cny"
# Tests and the embedded demo put an HTTPClient here that answers with recorded Stripe-shaped JSON.
HTTP_CLIENT: stripe.HTTPClient | None = None


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, http_client) -> stripe.StripeClient:
    base_addresses = {"api": api_base, "connect": api_base, "files": api_base} if api_base else None
    return stripe.StripeClient(api_key, base_addresses=base_addresses, max_network_retries=2, http_client=http_client)


def stripe_client() -> stripe.StripeClient:
    """The client for the configured key, at STRIPE_API_BASE (stripe-mock in tests and CI) if set."""
    if not is_configured():
        raise PaymentUnavailable(_("Card, Alipay and WeChat Pay payments are not set up on this site."),
                                 code="stripe_not_configured")
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE or "", HTTP_CLIENT)


def transfer_group(order) -> str:
    return f"order-{order.pk}"


def _unavailable(error: stripe.StripeError) -> PaymentUnavailable:
    logger.warning("Stripe refused or failed: %s", error)
    return PaymentUnavailable(
        _("The payment provider did not answer as expected: %(error)s Please try again in a moment.")
        % {"error": error.user_message or _("no details given.")}
    )


def _metadata(order, **extra) -> dict[str, str]:
    return {"order_id": str(order.pk), "listing_id": str(order.listing_id), **{k: str(v) for k, v in extra.items()}}


class StripeGateway(PaymentGateway):
    method = PaymentMethod.STRIPE
    holds_funds = True

    def __init__(self, client: stripe.StripeClient | None = None):
        self.client = client or stripe_client()

    def start_payment(self, order) -> PaymentStart:
        try:
            if order.payment_reference:
                intent = self.client.v1.payment_intents.retrieve(order.payment_reference)
            else:
                intent = self.client.v1.payment_intents.create(
                    {
                        "amount": to_fen(order.total),
                        "currency": CURRENCY,
                        # Cards, Alipay and WeChat Pay: whichever the account has turned on.
                        "automatic_payment_methods": {"enabled": True},
                        "transfer_group": transfer_group(order),
                        "description": f"{order.title} × {order.quantity}"[:1000],
                        "metadata": _metadata(order, buyer_id=order.buyer_id),
                    },
                    {"idempotency_key": f"order-{order.pk}-payment"},
                )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        return PaymentStart(reference=intent.id, client_secret=intent.client_secret)

    def cancel_payment(self, order) -> bool:
        if not order.payment_reference:
            return True
        try:
            self.client.v1.payment_intents.cancel(
                order.payment_reference, {"cancellation_reason": "abandoned"},
                {"idempotency_key": f"order-{order.pk}-cancel"},
            )
        except stripe.InvalidRequestError as error:
            if error.code == "payment_intent_unexpected_state":
                return False  # succeeded or processing: the webhook tells us what happened
            raise _unavailable(error) from error
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        return True

    def refund(self, order, refund) -> RefundResult:
        try:
            result = self.client.v1.refunds.create(
                {
                    "payment_intent": order.payment_reference,
                    "amount": to_fen(refund.amount),
                    "reason": "requested_by_customer",
                    "metadata": _metadata(order, refund_id=refund.pk),
                },
                {"idempotency_key": f"order-{order.pk}-refund-{refund.pk}"},
            )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        # Confirmed by charge.refunded, which is what moves the order.
        return RefundResult(reference=result.id, settled=False)

    def release(self, order, amount, destination: str) -> str:
        params = {
            "amount": to_fen(amount),
            "currency": CURRENCY,
            "destination": destination,
            "transfer_group": transfer_group(order),
            "metadata": _metadata(order),
        }
        if order.charge_reference:
            # Pays out of this charge's funds even before they are available in the balance.
            params["source_transaction"] = order.charge_reference
        try:
            transfer = self.client.v1.transfers.create(params, {"idempotency_key": f"order-{order.pk}-payout"})
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        return transfer.id

    def reverse_payout(self, order, refund, amount) -> str:
        try:
            reversal = self.client.v1.transfers.reversals.create(
                order.payout_reference,
                {"amount": to_fen(amount), "metadata": _metadata(order, refund_id=refund.pk)},
                {"idempotency_key": f"order-{order.pk}-refund-{refund.pk}-reversal"},
            )
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        return reversal.id

    # Connect Express onboarding of selling organizations.

    def create_account(self, organization) -> stripe.Account:
        params = {
            "type": "express",
            "business_profile": {"name": organization.name},
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"organization_id": str(organization.pk)},
        }
        if organization.contact_email:
            params["email"] = organization.contact_email
        try:
            return self.client.v1.accounts.create(params, {"idempotency_key": f"organization-{organization.pk}-account"})
        except stripe.StripeError as error:
            raise _unavailable(error) from error

    def account_link(self, account_id: str, *, refresh_url: str, return_url: str) -> tuple[str, datetime]:
        try:
            link = self.client.v1.account_links.create({
                "account": account_id, "refresh_url": refresh_url, "return_url": return_url,
                "type": "account_onboarding",
            })
        except stripe.StripeError as error:
            raise _unavailable(error) from error
        return link.url, datetime.fromtimestamp(link.expires_at, tz=UTC)
