"""What anyone may learn from a trace code or a certificate number, for the API and the HTML page.

Built field by field from an allow-list: no customer identities, no internal notes, no operator
names, no serial numbers, no contacts or credit codes of organizations.
"""
from django.urls import reverse

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


def public_warranty(unit) -> dict | None:
    """The warranty of the listing the unit is (or was) offered in, while that listing is public."""
    if unit.listing_id is None:
        return None
    link = (
        ListingCertification.objects.filter(
            listing_id=unit.listing_id, listing__state__in=[ListingState.ACTIVE, ListingState.RESERVED, ListingState.SOLD]
        ).first()
    )
    if link is None:
        return None
    return {"months": link.warranty_months, "coverage": link.coverage}


def verification(kind: str, obj, request) -> dict:
    """The public verify response for a resolved code (see selectors.resolve_code)."""
    if kind == "unit":
        code = obj.trace_code
        certificate = obj.certificate
        label_url = request.build_absolute_uri(reverse("certification-label", args=[code]))
        unit, warranty = public_unit(obj), public_warranty(obj)
    else:
        code = obj.number
        certificate = obj
        label_url = None
        unit = warranty = None
    return {
        "code": code,
        "kind": kind,
        "certificate": public_certificate(certificate) if certificate else None,
        "unit": unit,
        "warranty": warranty,
        "page_url": verify_url(code),
        "label_url": label_url,
    }
