"""Domain actions of the certification app: each runs in one transaction and leaves an audit record.

Certificates:  issue_certificate, suspend_certificate, reinstate_certificate, revoke_certificate,
               expire_certificate, expire_due_certificates
Documents:     add_certificate_document
Trace:         create_unit, append_trace_event
Listings:      link_listing_certificate, record_data_erasure
"""
import json

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind, Role
from accounts.permissions import has_org_role, require_org_can_act_as, require_org_role
from accounts.services import notify_org_admins
from certification import codes
from certification.chain import canonical_json, chain_hash
from certification.models import (
    Certificate,
    CertificateDocument,
    CertificateEvent,
    CertificateSerial,
    CertificateStatus,
    CertificateType,
    DataErasureRecord,
    ErasureMethod,
    ListingCertification,
    RemanufacturedUnit,
    TraceEvent,
    TraceEventKind,
)
from certification.selectors import certificate_covers, sellable_unit_ids
from listings.models import Listing, ListingKind, ListingState, SuspensionSource
from listings.permissions import require_manage
from listings.signals import listing_changed
from marketplace.errors import Conflict, DomainError, NotAllowed

# Which status a certificate may move to from each status.
TRANSITIONS = {
    CertificateStatus.VALID: {CertificateStatus.SUSPENDED, CertificateStatus.REVOKED, CertificateStatus.EXPIRED},
    # A suspended certificate may still run out of time; reinstating it then would be wrong.
    CertificateStatus.SUSPENDED: {CertificateStatus.VALID, CertificateStatus.REVOKED, CertificateStatus.EXPIRED},
    CertificateStatus.REVOKED: set(),
    CertificateStatus.EXPIRED: set(),
}

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


# --- certificates -----------------------------------------------------------------------------

def _next_number(certificate_type: str, year: int) -> str:
    prefix = codes.CERTIFICATE_PREFIXES[certificate_type]
    CertificateSerial.objects.get_or_create(prefix=prefix, year=year)
    # The increment locks the row until the transaction ends, so two issuers never share a serial.
    CertificateSerial.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
    serial = CertificateSerial.objects.get(prefix=prefix, year=year).last
    return codes.certificate_number(certificate_type, year, serial)


def _certificate_context(certificate, reason=""):
    return {
        "number": certificate.number,
        "issuer": certificate.issuer.name,
        "holder": certificate.holder.name,
        "valid_until": certificate.valid_until.isoformat(),
        "reason": reason,
    }


@transaction.atomic
def issue_certificate(
    *, actor, issuer, holder, type=CertificateType.PRODUCT, categories=(), brand="", model_range="",
    standard, scope_zh, scope_en="", issued_on, valid_until,
) -> Certificate:
    """A verified certification body (acted for by one of its admins) certifies a verified remanufacturer."""
    require_org_role(actor, issuer, Role.ADMIN)
    require_org_can_act_as(issuer, OrganizationKind.CERTIFICATION_BODY)
    if holder.kind != OrganizationKind.REMANUFACTURER or not holder.is_verified:
        raise DomainError(
            _("Certificates are issued to verified remanufacturers only; %(org)s is not one.") % {"org": holder.name},
            field="holder", code="holder_not_remanufacturer",
        )
    if issued_on > timezone.localdate():
        raise DomainError(_("A certificate is recorded once it has been issued, not before."), code="invalid_date",
                          field="issued_on")
    if valid_until < issued_on:
        raise DomainError(_("A certificate cannot end before it is issued."), code="invalid_date", field="valid_until")
    if valid_until < timezone.localdate():
        raise DomainError(_("This certificate would already be expired."), code="invalid_date", field="valid_until")
    categories = list(categories)
    if type == CertificateType.PRODUCT and not categories:
        raise DomainError(_("Name at least one category the product certificate covers."), code="categories_required",
                          field="categories")
    if type == CertificateType.QMS and categories:
        raise DomainError(_("A quality management system certificate covers the organization, not categories."),
                          code="categories_not_allowed", field="categories")
    certificate = Certificate.objects.create(
        number=_next_number(type, issued_on.year), type=type, issuer=issuer, holder=holder, brand=brand,
        model_range=model_range, standard=standard, scope_zh=scope_zh, scope_en=scope_en, issued_on=issued_on,
        valid_until=valid_until, created_by=actor, status_reason=_("Issued"),
    )
    certificate.categories.set(categories)
    CertificateEvent.objects.create(
        certificate=certificate, actor=actor, from_status="", to_status=CertificateStatus.VALID, reason=_("Issued")
    )
    notify_org_admins(holder, "certificate_issued", _certificate_context(certificate))
    return certificate


def _relying_links(certificate):
    return ListingCertification.objects.filter(certificate=certificate).select_related("listing__seller")


def _suspend_relying_listings(certificate, actor):
    from listings import lifecycle

    for link in _relying_links(certificate):
        listing = link.listing
        if listing.state in (ListingState.ACTIVE, ListingState.RESERVED):
            needs_suspension = True
        else:
            # Already suspended by moderation: add our source, so lifting moderation alone does not restore it.
            needs_suspension = (
                listing.state == ListingState.SUSPENDED
                and SuspensionSource.CERTIFICATE not in (listing.suspension_sources or [])
            )
        if not needs_suspension:
            continue
        with translation.override(listing.seller.language or "zh-hans"):
            reason = _("the certificate %(number)s it relies on is %(status)s (%(why)s).") % {
                "number": certificate.number,
                "status": CertificateStatus(certificate.status).label,
                "why": certificate.status_reason,
            }
        # lifecycle.suspend tells the seller, with this reason, and sends listing_changed (reindex).
        lifecycle.suspend(listing, actor=actor, reason=reason, source=SuspensionSource.CERTIFICATE)


def _reinstate_relying_listings(certificate, actor):
    from listings import lifecycle

    for link in _relying_links(certificate):
        listing = link.listing
        if listing.state != ListingState.SUSPENDED or SuspensionSource.CERTIFICATE not in (listing.suspension_sources or []):
            continue
        lifecycle.reinstate(
            listing, actor=actor, source=SuspensionSource.CERTIFICATE,
            reason=_("Certificate %(number)s is valid again.") % {"number": certificate.number},
        )


def _lock(certificate):
    return Certificate.objects.select_for_update().select_related("issuer", "holder").get(pk=certificate.pk)


def _transition(certificate, *, actor, to_status, reason):
    """Move a locked certificate to `to_status` and write its audit record."""
    if to_status not in TRANSITIONS[certificate.status]:
        raise Conflict(
            _("A certificate that is %(current)s cannot become %(target)s.")
            % {"current": CertificateStatus(certificate.status).label, "target": CertificateStatus(to_status).label},
            code="invalid_transition",
        )
    from_status = certificate.status
    certificate.status = to_status
    certificate.status_reason = reason
    certificate.status_changed_at = timezone.now()
    certificate.save(update_fields=["status", "status_reason", "status_changed_at"])
    CertificateEvent.objects.create(
        certificate=certificate, actor=actor, from_status=from_status, to_status=to_status, reason=reason
    )
    return certificate


def _require_issuer_admin(actor, certificate):
    if actor is None or not has_org_role(actor, certificate.issuer_id, Role.ADMIN):
        raise NotAllowed(_("Only administrators of the issuing certification body may change this certificate."))


def _required_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason: the holder and its sellers will see it."), code="reason_required", field="reason")
    return reason


@transaction.atomic
def suspend_certificate(certificate, *, actor, reason) -> Certificate:
    _require_issuer_admin(actor, certificate)
    certificate = _transition(_lock(certificate), actor=actor, to_status=CertificateStatus.SUSPENDED,
                              reason=_required_reason(reason))
    _suspend_relying_listings(certificate, actor)
    notify_org_admins(certificate.holder, "certificate_suspended", _certificate_context(certificate, certificate.status_reason))
    return certificate


@transaction.atomic
def reinstate_certificate(certificate, *, actor, reason="") -> Certificate:
    _require_issuer_admin(actor, certificate)
    certificate = _lock(certificate)
    if certificate.valid_until < timezone.localdate():
        raise Conflict(
            _("This certificate ran out on %(date)s; issue a new one instead of reinstating it.")
            % {"date": certificate.valid_until.isoformat()},
            code="certificate_out_of_date",
        )
    certificate = _transition(certificate, actor=actor, to_status=CertificateStatus.VALID,
                              reason=(reason or "").strip() or _("Reinstated"))
    _reinstate_relying_listings(certificate, actor)
    notify_org_admins(certificate.holder, "certificate_reinstated", _certificate_context(certificate))
    return certificate


@transaction.atomic
def revoke_certificate(certificate, *, actor, reason) -> Certificate:
    _require_issuer_admin(actor, certificate)
    certificate = _transition(_lock(certificate), actor=actor, to_status=CertificateStatus.REVOKED,
                              reason=_required_reason(reason))
    _suspend_relying_listings(certificate, actor)
    notify_org_admins(certificate.holder, "certificate_revoked", _certificate_context(certificate, certificate.status_reason))
    return certificate


@transaction.atomic
def expire_certificate(certificate, *, actor=None, today=None) -> Certificate:
    """The validity period is over (a system action: actor is None when the periodic task runs)."""
    today = today or timezone.localdate()
    certificate = _lock(certificate)
    if certificate.valid_until >= today:
        raise Conflict(_("This certificate is still within its validity period."), code="not_due")
    certificate = _transition(
        certificate, actor=actor, to_status=CertificateStatus.EXPIRED,
        reason=_("Validity period ended on %(date)s") % {"date": certificate.valid_until.isoformat()},
    )
    _suspend_relying_listings(certificate, actor)
    notify_org_admins(certificate.holder, "certificate_expired", _certificate_context(certificate))
    return certificate


def expire_due_certificates(today=None) -> int:
    """Expire every valid or suspended certificate whose last valid day has passed; one transaction each."""
    today = today or timezone.localdate()
    due = Certificate.objects.filter(
        status__in=[CertificateStatus.VALID, CertificateStatus.SUSPENDED], valid_until__lt=today
    )
    expired = 0
    for certificate in due:
        try:
            expire_certificate(certificate, today=today)
        except Conflict:
            continue  # changed in between (revoked, say): nothing left to expire
        expired += 1
    return expired


# --- documents --------------------------------------------------------------------------------

@transaction.atomic
def add_certificate_document(certificate, *, actor, title, upload) -> CertificateDocument:
    """A PDF (checked by its magic bytes) or an image (re-encoded, metadata dropped) of the certificate."""
    from certification.documents import prepare_document

    _require_issuer_admin(actor, certificate)
    kind, content = prepare_document(upload, max_bytes=MAX_DOCUMENT_BYTES)
    document = CertificateDocument(certificate=certificate, title=title, kind=kind, size=content.size, uploaded_by=actor)
    document.file.save(content.name, content, save=False)
    document.save()
    CertificateEvent.objects.create(
        certificate=certificate, actor=actor, from_status=certificate.status, to_status=certificate.status,
        reason=_("Document added: %(title)s") % {"title": title},
    )
    return document


# --- units and trace events -------------------------------------------------------------------

def _check_unit_certificate(certificate, manufacturer, category):
    if certificate.holder_id != manufacturer.pk or certificate.type != CertificateType.PRODUCT:
        raise DomainError(_("Choose a product certificate held by %(org)s.") % {"org": manufacturer.name},
                          code="wrong_certificate", field="certificate")
    if not certificate_covers(certificate, category):
        raise DomainError(
            _("Certificate %(number)s does not cover the category %(category)s.")
            % {"number": certificate.number, "category": category.name},
            code="category_not_covered", field="certificate",
        )


@transaction.atomic
def create_unit(
    *, actor, manufacturer, category, product_name, remanufactured_on, certificate=None, part_number="", batch="",
    serial_number="",
) -> RemanufacturedUnit:
    """A new remanufactured unit with a fresh trace code; its history starts with the core intake event."""
    require_org_role(actor, manufacturer, Role.MEMBER)
    require_org_can_act_as(manufacturer, OrganizationKind.REMANUFACTURER)
    if certificate is not None:
        _check_unit_certificate(certificate, manufacturer, category)
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

    A final test of a unit offered in a listing re-checks that listing's compliance rules (a failed
    test takes it off sale, a passed retest brings it back).
    """
    if kind == TraceEventKind.FINAL_TEST:
        # Lock the listing before the unit, in the order link_listing_certificate locks them.
        listing_id = RemanufacturedUnit.objects.filter(pk=unit.pk).values_list("listing_id", flat=True).first()
        if listing_id is not None:
            list(Listing.objects.select_for_update().filter(pk=listing_id).values_list("pk", flat=True))
    unit = RemanufacturedUnit.objects.select_for_update().select_related("manufacturer").get(pk=unit.pk)
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
        # A later failed test takes the listing offering the unit off sale; a passed retest brings it back.
        from listings import lifecycle

        lifecycle.enforce_rules(Listing(pk=unit.listing_id), sources={SuspensionSource.COMPLIANCE})
    return event


# --- listings ---------------------------------------------------------------------------------

@transaction.atomic
def link_listing_certificate(
    listing, *, actor, certificate, warranty_months, coverage_zh, coverage_en="", unit_codes=(),
) -> ListingCertification:
    """Name the certificate a remanufactured listing relies on, its warranty and the units it sells."""
    listing = Listing.objects.select_for_update(of=("self",)).select_related("organization", "category").get(pk=listing.pk)
    require_manage(actor, listing)
    if listing.kind != ListingKind.REMANUFACTURED:
        raise DomainError(_("Only remanufactured listings carry a remanufacturing certificate."), code="not_remanufactured")
    if listing.state in (ListingState.SOLD, ListingState.WITHDRAWN):
        raise Conflict(_("This listing is closed."), code="listing_closed")
    org = listing.organization
    if org is None or not org.is_verified or org.kind != OrganizationKind.REMANUFACTURER:
        raise DomainError(_("Remanufactured goods are sold by a verified remanufacturer."), code="not_remanufacturer")
    _check_unit_certificate(certificate, org, listing.category)
    if not certificate.is_in_force():
        raise Conflict(_("Certificate %(number)s is not valid now.") % {"number": certificate.number},
                       code="certificate_not_valid", field="certificate")
    from listings import lifecycle

    # On sale (or suspended): the change may not break what the publish rules checked (409 below).
    before = lifecycle.publish_rule_problems_if_on_sale(listing)

    wanted = list(dict.fromkeys(codes.normalize_code(code) for code in unit_codes))
    units = list(RemanufacturedUnit.objects.select_for_update().filter(trace_code__in=wanted))
    found = {unit.trace_code for unit in units}
    missing = [code for code in wanted if code not in found]
    if missing:
        raise DomainError(_("Unknown trace codes: %(codes)s.") % {"codes": ", ".join(missing)}, code="unknown_unit",
                          field="unit_codes")
    sellable = sellable_unit_ids(units)
    for unit in units:
        if unit.manufacturer_id != org.pk:
            raise DomainError(_("Unit %(code)s was not remanufactured by %(org)s.") % {"code": unit.trace_code, "org": org.name},
                              code="unit_not_yours", field="unit_codes")
        if unit.certificate_id != certificate.pk:
            raise DomainError(
                _("Unit %(code)s is not covered by certificate %(number)s: a listing offers units of its own certificate.")
                % {"code": unit.trace_code, "number": certificate.number},
                code="unit_certificate_mismatch", field="unit_codes",
            )
        if unit.listing_id not in (None, listing.pk):
            raise Conflict(_("Unit %(code)s is already offered in another listing.") % {"code": unit.trace_code},
                           code="unit_taken", field="unit_codes")
        if unit.pk not in sellable:
            raise DomainError(
                _("Unit %(code)s has not passed its final test or is already sold.") % {"code": unit.trace_code},
                code="unit_not_ready", field="unit_codes",
            )
    RemanufacturedUnit.objects.filter(listing=listing).exclude(pk__in=[unit.pk for unit in units]).update(listing=None)
    RemanufacturedUnit.objects.filter(pk__in=[unit.pk for unit in units]).update(listing=listing)

    link, _created = ListingCertification.objects.update_or_create(
        listing=listing,
        defaults={"certificate": certificate, "warranty_months": warranty_months, "coverage_zh": coverage_zh,
                  "coverage_en": coverage_en, "linked_by": actor},
    )
    if before is not None:
        lifecycle.require_rules_still_hold(listing, before)
    listing_changed.send(sender=Listing, listing=listing, fields={"certification"}, deleted=False)
    _reinstate_if_certified_again(listing, certificate, actor)
    # Units fixed (e.g. a passed unit linked instead of one that failed): lift the compliance suspension.
    lifecycle.enforce_rules(listing, sources={SuspensionSource.COMPLIANCE})
    return link


def _reinstate_if_certified_again(listing, certificate, actor):
    """A listing suspended because its old certificate lapsed comes back once linked to a valid one."""
    from certification.rules import remanufactured_certificate_rule
    from listings import lifecycle

    suspended_for_certificate = (
        listing.state == ListingState.SUSPENDED and SuspensionSource.CERTIFICATE in (listing.suspension_sources or [])
    )
    if suspended_for_certificate and not remanufactured_certificate_rule(listing):
        lifecycle.reinstate(
            listing, actor=actor, source=SuspensionSource.CERTIFICATE,
            reason=_("Linked to the valid certificate %(number)s.") % {"number": certificate.number},
        )


@transaction.atomic
def record_data_erasure(
    listing, *, actor, method, performed_on, device_serial_last4, tool="", tool_version="", operator_name="",
    verification_method="", verification_result="",
) -> DataErasureRecord:
    """Record how personal data was erased from a used phone or computer before it is sold.

    Organizations must sanitize to NIST SP 800-88 (clear, purge or destroy) and say who did it,
    with which tool and how it was verified; residents may declare a factory reset.
    """
    listing = Listing.objects.select_related("organization", "category").get(pk=listing.pk)
    require_manage(actor, listing)
    if not listing.category.requires_data_erasure:
        raise DomainError(_("Data-erasure records are kept for phones and computers only."), code="not_required")
    if performed_on > timezone.localdate():
        raise DomainError(_("The erasure date cannot be in the future."), code="invalid_date", field="performed_on")
    by_organization = listing.organization_id is not None
    if by_organization:
        if method == ErasureMethod.FACTORY_RESET:
            raise DomainError(
                _("Organizations sanitize devices to NIST SP 800-88: choose clear, purge or destroy."),
                code="method_not_allowed", field="method",
            )
        required = {"tool": tool, "operator_name": operator_name, "verification_method": verification_method,
                    "verification_result": verification_result}
        for field, value in required.items():
            if not (value or "").strip():
                raise DomainError(_("This is required for an organization's sanitization record."), code="required",
                                  field=field)
    record = DataErasureRecord.objects.create(
        listing=listing, method=method, tool=tool, tool_version=tool_version, operator_name=operator_name,
        performed_on=performed_on, verification_method=verification_method, verification_result=verification_result,
        device_serial_last4=device_serial_last4, self_declared=not by_organization, recorded_by=actor,
    )
    listing_changed.send(sender=Listing, listing=listing, fields={"data_erasure"}, deleted=False)
    # A failed verification takes a listing on sale off sale; a later passed record brings it back.
    from listings import lifecycle

    lifecycle.enforce_rules(listing, sources={SuspensionSource.COMPLIANCE})
    return record

