"""Pass codes: short enough to type, unambiguous to read aloud, and the QR payload that carries them.

A code is 8 characters of Crockford's base32 alphabet (no I, L, O, U), shown as ABCD-EFGH.
The QR code of a pass holds `MPEV1:<event id>:<code>`; a scanner may send that payload or the
typed code: normalize() accepts both and forgives case, spaces, dashes and O/0, I/L/1 slips.
"""
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
QR_PREFIX = "MPEV1"
_SLIPS = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_PAYLOAD = re.compile(rf"^{QR_PREFIX}:(\d+):([0-9A-Z\-]+)$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def qr_payload(event_id: int, code: str) -> str:
    return f"{QR_PREFIX}:{event_id}:{code}"


def normalize(raw: str) -> tuple[int | None, str]:
    """(event id named by a QR payload or None, the bare code in canonical form)."""
    text = (raw or "").strip().upper()
    event_id = None
    match = _PAYLOAD.match(text)
    if match:
        event_id, text = int(match.group(1)), match.group(2)
    code = re.sub(r"[\s\-]", "", text).translate(_SLIPS)
    return event_id, code


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(char in ALPHABET for char in code)
