"""The hash chain of a unit's trace events: canonical form, hashing and verification.

Each event's hash is SHA-256 over the previous event's hash followed by the event's canonical
JSON (sorted keys, no spaces, UTF-8, times in UTC ISO 8601). Changing any stored field of any
event, deleting or reordering events breaks the chain from that event on; the unit keeps the
head hash, so cutting events off the end is detected too.
"""
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from certification.models import GENESIS_HASH, RemanufacturedUnit, TraceEvent


def _utc(value) -> str:
    return value.astimezone(UTC).isoformat()


def canonical_json(*, trace_code, sequence, kind, occurred_at, data, note, operator_id, recorded_at) -> bytes:
    payload = {
        "unit": trace_code,
        "sequence": sequence,
        "kind": kind,
        "occurred_at": _utc(occurred_at),
        "data": data,
        "note": note,
        "operator": operator_id,
        "recorded_at": _utc(recorded_at),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


def event_hash(event: TraceEvent, trace_code: str) -> str:
    canonical = canonical_json(
        trace_code=trace_code,
        sequence=event.sequence,
        kind=event.kind,
        occurred_at=event.occurred_at,
        data=event.data,
        note=event.note,
        operator_id=event.operator_id,
        recorded_at=event.recorded_at,
    )
    return chain_hash(event.prev_hash, canonical)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    length: int
    # Sequence number of the first event that does not verify (or of the first missing one).
    first_bad_event: int | None = None
    head_hash: str = GENESIS_HASH


def verify_chain(unit: RemanufacturedUnit, events=None) -> ChainReport:
    """Recompute every hash of the unit's chain; report the first event that does not match."""
    if events is None:
        events = list(TraceEvent.objects.filter(unit=unit).order_by("sequence", "id"))
    expected_prev = GENESIS_HASH
    for position, event in enumerate(events, start=1):
        intact = (
            event.sequence == position
            and event.prev_hash == expected_prev
            and event.hash == event_hash(event, unit.trace_code)
        )
        if not intact:
            return ChainReport(ok=False, length=len(events), first_bad_event=min(position, event.sequence))
        expected_prev = event.hash
    if expected_prev != unit.head_hash:
        # The unit remembers a head the stored events do not reach: events were removed from the end.
        return ChainReport(ok=False, length=len(events), first_bad_event=len(events) + 1, head_hash=expected_prev)
    return ChainReport(ok=True, length=len(events), head_hash=expected_prev)
