"""The in-person hand-over code (面交): six digits the buyer shows, also as a QR code.

The QR code holds `handover:<order id>:<code>`, so a scan names the order it belongs to and a
code shown for one order is refused for any other. The seller may also type the six digits.
"""
import io
import secrets

import segno
from django.utils.translation import gettext as _

from marketplace.errors import DomainError

PREFIX = "handover"
MAX_ATTEMPTS = 5  # wrong codes typed for one order before the buyer must show a new one


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def qr_text(order) -> str:
    return f"{PREFIX}:{order.pk}:{order.handover_code}"


def digits_for(order, scanned: str) -> str:
    """The six digits of what the seller scanned or typed, after checking it names this order."""
    text = (scanned or "").strip()
    if text.startswith(f"{PREFIX}:"):
        _prefix, _sep, rest = text.partition(":")
        order_id, _sep, text = rest.partition(":")
        if order_id != str(order.pk):
            raise DomainError(_("This code belongs to another order."), code="wrong_order", field="code")
    if len(text) != 6 or not text.isdigit():
        raise DomainError(_("Enter the six digits the buyer shows, or scan their code."), code="invalid_code",
                          field="code")
    return text


def qr_png(order, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    segno.make(qr_text(order), error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
