"""What anyone may learn from a trace code or a certificate number, for the API and the HTML page.

Built field by field from an allow-list: no customer identities, no internal notes, no operator
names, no serial numbers, no contacts or credit codes of organizations.
"""
from django.urls import reverse
from django.utils.translation import gettext as _

from certification import codes
from certification.chain import verify_chain
from certification.labels import verify_url
from certification.models import CertificateStatus, ListingCertification, TraceEvent, TraceEventKind
from listings.models import ListingState

# What of each event's data is public: structured facts only. The free texts (core intake source
# and condition, disassembly summary, cleaning method, repair description) are for internal use
# and never leave the remanufacturer; `public_summary` is the text written to be shown.
PUBLIC_EVENT_DATA = {
    TraceEventKind.CORE_INTAKE: (),
    TraceEventKind.DISASSEMBLY: (),
    TraceEventKind.CLEANING: (),
    TraceEventKind.PART_REPLACEMENT: ("parts",),
    TraceEventKind.REPAIR: ("parts",),
    TraceEventKind.FINAL_TEST: ("result", "measurements", "standard"),
    TraceEventKind.WARRANTY_START: ("months",),
    TraceEventKind.SALE: ("channel",),
}
PUBLIC_PART_KEYS = ("name", "part_number", "origin")


def public_event_data(kind, data) -> dict:
    """The allow-listed part of an event's data (see PUBLIC_EVENT_DATA)."""
    data = data or {}
    public = {}
    for key in PUBLIC_EVENT_DATA.get(kind, ()):
        if key not in data:
            continue
        value = data[key]
        if key == "parts":
            value = [{part_key: part.get(part_key, "") for part_key in PUBLIC_PART_KEYS}
                     for part in value or [] if isinstance(part, dict)]
        public[key] = value
    if (data.get("public_summary") or "").strip():
        public["public_summary"] = data["public_summary"].strip()
    return public


def _organization(org) -> dict:
    return {"name": org.name, "city": org.city}


def public_certificate(certificate) -> dict:
    status = certificate.effective_status
    return {
        "number": certificate.number,
        "type": certificate.type,
        "status": status,
        "status_display": str(CertificateStatus(status).label),
        "issuer": _organization(certificate.issuer),
        "holder": _organization(certificate.holder),
        "categories": [category.name for category in certificate.categories.all()],
        "brand": certificate.brand,
        "model_range": certificate.model_range,
        "standard": certificate.standard,
        "scope": certificate.scope,
        "issued_on": certificate.issued_on,
        "valid_until": certificate.valid_until,
    }


def public_unit(unit) -> dict:
    events = list(TraceEvent.objects.filter(unit=unit).order_by("sequence", "id"))
    report = verify_chain(unit, events)
    return {
        "trace_code": unit.trace_code,
        "trace_code_display": codes.format_trace_code(unit.trace_code),
        "product_name": unit.product_name,
        "part_number": unit.part_number,
        "batch": unit.batch,
        "remanufactured_on": unit.remanufactured_on,
        "remanufacturer": _organization(unit.manufacturer),
        "chain": {"ok": report.ok, "length": report.length, "first_bad_event": report.first_bad_event},
        "events": [
            {
                "sequence": event.sequence,
                "kind": event.kind,
                "kind_display": str(TraceEventKind(event.kind).label),
                "occurred_at": event.occurred_at,
                "data": public_event_data(event.kind, event.data),
            }
            for event in events
        ],
    }


# How the warranty reads when the certificate is not valid: the page must not promise it.
WARRANTY_STATUS = {
    CertificateStatus.VALID: ("valid", lambda: _("Valid while the certificate is valid.")),
    CertificateStatus.SUSPENDED: ("suspended", lambda: _("Not valid: the certificate is suspended.")),
    CertificateStatus.REVOKED: ("void", lambda: _("Void: the certificate was revoked.")),
    CertificateStatus.EXPIRED: ("not_valid", lambda: _("Not valid: the certificate has expired.")),
}


def public_warranty(unit, certificate_status: str | None) -> dict | None:
    """The warranty of the listing the unit is (or was) offered in, while that listing is public;
    valid only while both the unit's certificate and the one the listing relies on are valid."""
    if unit.listing_id is None:
        return None
    link = (
        ListingCertification.objects.select_related("certificate").filter(
            listing_id=unit.listing_id, listing__state__in=[ListingState.ACTIVE, ListingState.RESERVED, ListingState.SOLD]
        ).first()
    )
    if link is None:
        return None
    terms = {"months": link.warranty_months, "coverage": link.coverage}
    if certificate_status is None:
        return {**terms, "valid": False, "status": "not_valid",
                "status_display": _("Not valid: no certificate covers this unit.")}
    statuses = (certificate_status, link.certificate.effective_status)
    status = next((status for status in statuses if status != CertificateStatus.VALID), CertificateStatus.VALID)
    code, text = WARRANTY_STATUS[status]
    return {**terms, "valid": status == CertificateStatus.VALID, "status": code, "status_display": text()}


def verdict(certificate: dict | None, unit: dict | None) -> dict:
    """The one line people who just scanned a label read first.

    {"valid": bool, "level": "ok" | "warn" | "bad", "reason": code, "message": text}: valid only
    when a valid certificate covers the code and its trace record is intact.
    """
    if unit is not None and not unit["chain"]["ok"]:
        return {"valid": False, "level": "bad", "reason": "trace_altered",
                "message": _("Warning: the trace record was altered")}
    if certificate is None:
        return {"valid": False, "level": "warn", "reason": "not_certified", "message": _("Not covered by a certificate")}
    messages = {
        CertificateStatus.VALID: lambda: _("Certificate valid"),
        CertificateStatus.SUSPENDED: lambda: _("Certificate suspended"),
        CertificateStatus.REVOKED: lambda: _("Certificate revoked"),
        CertificateStatus.EXPIRED: lambda: _("Certificate expired"),
    }
    status = certificate["status"]
    message = messages.get(status, lambda: certificate["status_display"])()
    if status == CertificateStatus.VALID:
        return {"valid": True, "level": "ok", "reason": "certificate_valid", "message": message}
    return {"valid": False, "level": "bad", "reason": f"certificate_{status}", "message": message}


def verification(kind: str, obj, request) -> dict:
    """The public verify response for a resolved code (see selectors.resolve_code)."""
    if kind == "unit":
        code = obj.trace_code
        certificate = public_certificate(obj.certificate) if obj.certificate else None
        label_url = request.build_absolute_uri(reverse("certification-label", args=[code]))
        unit = public_unit(obj)
        warranty = public_warranty(obj, certificate["status"] if certificate else None)
    else:
        code = obj.number
        certificate = public_certificate(obj)
        label_url = None
        unit = warranty = None
    return {
        "code": code,
        "kind": kind,
        "verdict": verdict(certificate, unit),
        "certificate": certificate,
        "unit": unit,
        "warranty": warranty,
        "page_url": verify_url(code),
        "label_url": label_url,
    }
