"""Remanufactured units and their trace events (an append-only hash chain per unit)."""
import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind, Role
from accounts.permissions import require_org_can_act_as, require_org_role
from certification import codes
from certification.chain import canonical_json, chain_hash
from certification.models import RemanufacturedUnit, TraceEvent, TraceEventKind
from certification.services.certificates import require_unit_certificate
from listings import eligibility, lifecycle
from listings.models import Listing
from marketplace.errors import Conflict, DomainError
from marketplace.transitions import lock


@transaction.atomic
def create_unit(
    *, actor, manufacturer, category, product_name, remanufactured_on, certificate=None, part_number="", batch="",
    serial_number="",
) -> RemanufacturedUnit:
    """A new remanufactured unit with a fresh trace code; its history starts with the core intake event."""
    require_org_role(actor, manufacturer, Role.MEMBER)
    require_org_can_act_as(manufacturer, OrganizationKind.REMANUFACTURER)
    if certificate is not None:
        require_unit_certificate(certificate, manufacturer, category)
    if remanufactured_on > timezone.localdate():
        raise DomainError(_("The remanufacturing date cannot be in the future."), code="invalid_date",
                          field="remanufactured_on")
    trace_code = codes.new_trace_code()
    while RemanufacturedUnit.objects.filter(trace_code=trace_code).exists():
        trace_code = codes.new_trace_code()
    return RemanufacturedUnit.objects.create(
        trace_code=trace_code, manufacturer=manufacturer, certificate=certificate, category=category,
        product_name=product_name, part_number=part_number, batch=batch, remanufactured_on=remanufactured_on,
        serial_number=serial_number, created_by=actor,
    )


def _check_event_order(kind, previous_kinds, last_final_test):
    if not previous_kinds and kind != TraceEventKind.CORE_INTAKE:
        raise Conflict(_("A unit's history starts with the core intake."), code="chain_order")
    if previous_kinds and kind == TraceEventKind.CORE_INTAKE:
        raise Conflict(_("The core intake is recorded once, as the first event."), code="chain_order")
    if TraceEventKind.SALE in previous_kinds and kind != TraceEventKind.WARRANTY_START:
        raise Conflict(_("The unit is sold: only the warranty start may follow."), code="chain_order")
    if kind in (TraceEventKind.SALE, TraceEventKind.WARRANTY_START):
        if kind in previous_kinds:
            raise Conflict(_("This event is recorded once per unit."), code="chain_order")
        if last_final_test is None or last_final_test.data.get("result") != "pass":
            raise Conflict(_("The unit must pass its final test first."), code="final_test_missing")


@transaction.atomic
def append_trace_event(unit, *, actor, kind, occurred_at, data, note="") -> TraceEvent:
    """Append one event to the unit's hash chain (the unit row is locked so two appends cannot fork it).

    A final test of a unit offered in a listing is reported to listings (source "compliance"): a
    failed test takes the listing off sale, a passed retest brings it back.
    """
    if kind == TraceEventKind.FINAL_TEST:
        # Lock the listing before the unit, in the order link_listing_certificate locks them.
        listing_id = RemanufacturedUnit.objects.filter(pk=unit.pk).values_list("listing_id", flat=True).first()
        if listing_id is not None:
            list(Listing.objects.select_for_update().filter(pk=listing_id).values_list("pk", flat=True))
    unit = lock(RemanufacturedUnit.objects.select_related("manufacturer"), unit.pk)
    require_org_role(actor, unit.manufacturer, Role.MEMBER)
    require_org_can_act_as(unit.manufacturer, OrganizationKind.REMANUFACTURER)
    now = timezone.now()
    if occurred_at > now:
        raise DomainError(_("An event cannot happen in the future."), code="invalid_date", field="occurred_at")
    previous = list(TraceEvent.objects.filter(unit=unit).order_by("sequence").only("kind", "occurred_at", "data"))
    if previous and occurred_at < previous[-1].occurred_at:
        raise DomainError(_("An event cannot happen before the previous one."), code="invalid_date", field="occurred_at")
    final_tests = [event for event in previous if event.kind == TraceEventKind.FINAL_TEST]
    _check_event_order(kind, {event.kind for event in previous}, final_tests[-1] if final_tests else None)
    # Stored exactly as it will be read back, so the hash recomputed from the database matches.
    data = json.loads(json.dumps(data or {}))
    event = TraceEvent(
        unit=unit, sequence=len(previous) + 1, kind=kind, occurred_at=occurred_at, data=data, note=note,
        operator=actor, recorded_at=now, prev_hash=unit.head_hash,
    )
    event.hash = chain_hash(
        event.prev_hash,
        canonical_json(trace_code=unit.trace_code, sequence=event.sequence, kind=kind, occurred_at=occurred_at,
                       data=data, note=note, operator_id=actor.pk, recorded_at=now),
    )
    event.save()
    RemanufacturedUnit.objects.filter(pk=unit.pk).update(head_hash=event.hash)
    unit.head_hash = event.hash
    if kind == TraceEventKind.FINAL_TEST and unit.listing_id is not None:
        lifecycle.reevaluate(Listing(pk=unit.listing_id), eligibility.COMPLIANCE)
    return event
