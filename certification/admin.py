"""Admin: everything is read here; changes go through the API and its services (rules, audit, cascade)."""
from django.contrib import admin

from certification.models import (
    Certificate,
    CertificateDocument,
    CertificateEvent,
    DataErasureRecord,
    ListingCertification,
    RemanufacturedUnit,
    TraceEvent,
)
from marketplace.admin import ReadOnlyAdmin, ReadOnlyInline


class CertificateEventInline(ReadOnlyInline):
    model = CertificateEvent
    fields = ["from_status", "to_status", "reason", "actor", "created_at"]
    readonly_fields = fields


class CertificateDocumentInline(ReadOnlyInline):
    model = CertificateDocument
    fields = ["title", "kind", "size", "file", "uploaded_by", "created_at"]
    readonly_fields = fields


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    """Only the issuing body changes a certificate (through the API), so staff read it here."""

    list_display = ["number", "type", "holder", "issuer", "status", "issued_on", "valid_until"]
    list_filter = ["type", "status"]
    search_fields = ["number", "holder__name", "issuer__name", "standard"]
    inlines = [CertificateDocumentInline, CertificateEventInline]


class TraceEventInline(ReadOnlyInline):
    model = TraceEvent
    fields = ["sequence", "kind", "occurred_at", "data", "note", "operator", "recorded_at", "hash"]
    readonly_fields = fields


@admin.register(RemanufacturedUnit)
class RemanufacturedUnitAdmin(ReadOnlyAdmin):
    list_display = ["trace_code", "product_name", "manufacturer", "certificate", "listing", "remanufactured_on"]
    search_fields = ["trace_code", "product_name", "part_number", "batch"]
    inlines = [TraceEventInline]


@admin.register(TraceEvent)
class TraceEventAdmin(ReadOnlyAdmin):
    """Append-only: visible, never editable or deletable."""

    list_display = ["unit", "sequence", "kind", "occurred_at", "recorded_at"]
    list_filter = ["kind"]
    search_fields = ["unit__trace_code"]


@admin.register(ListingCertification)
class ListingCertificationAdmin(ReadOnlyAdmin):
    list_display = ["listing", "certificate", "warranty_months", "updated_at"]


@admin.register(DataErasureRecord)
class DataErasureRecordAdmin(ReadOnlyAdmin):
    list_display = ["listing", "method", "verification_result", "self_declared", "performed_on", "created_at"]
    list_filter = ["method", "verification_result", "self_declared"]
