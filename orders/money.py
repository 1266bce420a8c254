"""Money of orders: Decimal CNY in the database and the API, integer fen at Stripe. Never a float.

The platform's fee depends on who sells (ORDERS_PLATFORM_FEE, per organization kind or "person").
A refund is shared between the seller and the platform in proportion to their shares of the
total, so a full refund takes back exactly the seller's payout and the platform's fee.
"""
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")
PERSON = "person"


def to_fen(amount: Decimal) -> int:
    """An amount in yuan with at most two decimals as integer fen (raises ValueError otherwise)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amounts are Decimal, not {type(amount).__name__}")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(fen)


def from_fen(fen: int) -> Decimal:
    return (Decimal(int(fen)) / 100).quantize(CENT)


def fee_rate(seller_kind: str) -> Decimal:
    """The platform's share for a seller of this kind (an organization kind, or "person")."""
    return settings.ORDERS_PLATFORM_FEE.get(seller_kind, Decimal(0))


def platform_fee(total: Decimal, seller_kind: str) -> Decimal:
    return (total * fee_rate(seller_kind)).quantize(CENT, rounding=ROUND_HALF_UP)


def seller_part(amount: Decimal, *, seller_amount: Decimal, total: Decimal) -> Decimal:
    """The seller's part of `amount` refunded out of `total`, of which `seller_amount` was theirs."""
    if total <= 0:
        return Decimal("0.00")
    fen = (to_fen(amount) * to_fen(seller_amount) * 2 + to_fen(total)) // (to_fen(total) * 2)
    return from_fen(fen)
