"""The stall lottery: a fair draw anyone can recompute from the published seed.

When a lottery event is published, a random 256-bit seed is made and only its SHA-256
(the commitment) is shown, so the seed cannot be chosen after the requests are known. When the
registration window has closed, the seed is revealed and every request made in the window gets a
ticket:

    ticket(entry) = SHA-256 of the UTF-8 text "<seed>:<entry id>", as 64 lowercase hex digits

Requests are ranked by ticket, lowest first (ties, which SHA-256 makes practically impossible,
by entry id). The first N win, N being the number of free stalls; winners are given their
preferred stall if it is still free when their turn comes, otherwise the lowest-numbered free
stall; everyone else joins the waitlist in draw order. To check a draw:

    sorted(entry_ids, key=lambda i: (hashlib.sha256(f"{seed}:{i}".encode()).hexdigest(), i))

and compare with the published order; sha256(seed) must equal the commitment published before.
"""
import hashlib
import secrets


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def ticket(seed: str, entry_id: int) -> str:
    return hashlib.sha256(f"{seed}:{entry_id}".encode()).hexdigest()


def draw_order(seed: str, entry_ids) -> list[int]:
    """The entries in draw order, best first."""
    return sorted(entry_ids, key=lambda entry_id: (ticket(seed, entry_id), entry_id))
