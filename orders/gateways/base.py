"""The payment gateway interface: the order code never talks to a payment provider directly.

A gateway starts a payment for an order, cancels one that has not been made, refunds, and (for
gateways that hold the buyer's money) pays the seller's share out and takes part of it back.
Services call gateways outside their database transactions (network calls never hold row
locks); every call that moves money carries an idempotency key derived from the order, so a
retry never moves it twice.
"""
from abc import ABC, abstractmethod
from dataclasses import dataclass

from marketplace.errors import DomainError


class PaymentUnavailable(DomainError):
    """The payment provider could not be reached or refused the request (HTTP 503); retry later."""

    status_code = 503
    default_code = "payment_unavailable"


@dataclass(frozen=True)
class PaymentStart:
    reference: str  # the provider's id of the payment ("" when nothing is paid through the platform)
    client_secret: str | None  # what the buyer's app needs to pay (Stripe Payment Element)


@dataclass(frozen=True)
class RefundResult:
    reference: str
    settled: bool  # True when the money is back already; False when the provider confirms it later


class PaymentGateway(ABC):
    method: str
    # True when the buyer's money is held by the platform and released to the seller later.
    holds_funds: bool

    @abstractmethod
    def start_payment(self, order) -> PaymentStart:
        """Create (or find again) the payment of `order`."""

    @abstractmethod
    def cancel_payment(self, order) -> bool:
        """Make sure `order` can no longer be paid; False when its payment is already under way."""

    @abstractmethod
    def refund(self, order, refund) -> RefundResult:
        """Give `refund.amount` back to the buyer."""

    def release(self, order, amount, destination: str) -> str:
        """Pay `amount` (the seller's share) out to `destination`; returns the transfer's id."""
        raise NotImplementedError(f"{self.method} payments are not held by the platform")

    def reverse_payout(self, order, refund, amount) -> str:
        """Take `amount` of an already released payout back for `refund`; returns the reversal's id."""
        raise NotImplementedError(f"{self.method} payments are not held by the platform")
