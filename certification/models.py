"""Certificates, remanufactured units with their trace chain, warranty links and data-erasure records.

State changes of certificates happen only in certification.services (one transaction, one
CertificateEvent each). Trace events are append-only: the model, its queryset, the admin and,
on PostgreSQL, a trigger refuse to change or delete a stored event.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.i18n import localized


class CertificateType(models.TextChoices):
    PRODUCT = "product", _("Remanufactured product certificate")
    QMS = "qms", _("Quality management system certificate")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class CertificateSerial(models.Model):
    """Last serial handed out per number prefix and year (locked while a number is generated)."""

    prefix = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="unique_certificate_serial")]

    def __str__(self):
        return f"{self.prefix}{self.year}: {self.last}"


class Certificate(models.Model):
    """Issued by a certification body to a remanufacturer for a product line (or its QMS)."""

    number = models.CharField(_("certificate number"), max_length=16, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=16, choices=CertificateType.choices, default=CertificateType.PRODUCT)
    issuer = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="certificates_issued", verbose_name=_("issuer")
    )
    holder = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="certificates_held", verbose_name=_("holder")
    )
    # The product line: which categories, and optionally which brand and model range within them.
    categories = models.ManyToManyField("listings.Category", blank=True, related_name="+", verbose_name=_("categories"))
    brand = models.CharField(_("brand"), max_length=80, blank=True)
    model_range = models.CharField(_("model range"), max_length=200, blank=True)
    standard = models.CharField(_("standard"), max_length=120, help_text=_("e.g. GB/T 28618-2012"))
    scope_zh = models.TextField(_("scope (Chinese)"), max_length=2000)
    scope_en = models.TextField(_("scope (English)"), max_length=2000, blank=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.VALID, editable=False
    )
    status_reason = models.TextField(_("reason of the last status change"), blank=True, editable=False)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["status", "valid_until"], name="cert_status_valid_until")]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("issued_on")), name="certificate_dates_ordered"),
        ]

    def __str__(self):
        return self.number

    @property
    def scope(self):
        return localized(self, "scope")

    @property
    def effective_status(self) -> str:
        """The status as buyers should read it: past its last valid day it is expired, task or no task."""
        if self.status == CertificateStatus.VALID and self.valid_until < timezone.localdate():
            return CertificateStatus.EXPIRED
        return self.status

    def is_in_force(self, on=None) -> bool:
        """Valid by status and by date."""
        today = on or timezone.localdate()
        return self.status == CertificateStatus.VALID and self.issued_on <= today <= self.valid_until


class CertificateEvent(models.Model):
    """Audit record of every certificate change: issue and each status transition."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=16, choices=CertificateStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CertificateStatus.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certificate event")
        verbose_name_plural = _("certificate events")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.certificate_id}: {self.from_status or '-'} -> {self.to_status}"


class DocumentKind(models.TextChoices):
    PDF = "pdf", _("PDF")
    IMAGE = "image", _("Image")


def document_upload_to(instance, filename):
    return f"certificates/{instance.certificate_id}/{filename}"


class CertificateDocument(models.Model):
    """A scan or PDF of the certificate or its audit report; visible to issuer, holder and staff."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(max_length=8, choices=DocumentKind.choices)
    file = models.FileField(upload_to=document_upload_to)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("certificate document")
        verbose_name_plural = _("certificate documents")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.title


# prev_hash of a unit's first trace event.
GENESIS_HASH = "0" * 64


class RemanufacturedUnit(models.Model):
    """One physical remanufactured product, known by its printed trace code."""

    trace_code = models.CharField(_("trace code"), max_length=12, unique=True, editable=False)
    manufacturer = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="remanufactured_units",
        verbose_name=_("remanufacturer"),
    )
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, null=True, blank=True, related_name="units", verbose_name=_("certificate")
    )
    category = models.ForeignKey("listings.Category", on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(_("product name"), max_length=120)
    part_number = models.CharField(_("part number"), max_length=64, blank=True)
    batch = models.CharField(_("batch"), max_length=40, blank=True)
    remanufactured_on = models.DateField(_("remanufactured on"))
    # Internal: the core's original serial number stays with the remanufacturer.
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True)
    listing = models.ForeignKey(
        "listings.Listing", on_delete=models.SET_NULL, null=True, blank=True, related_name="remanufactured_units"
    )
    # Hash of the newest trace event: lets the verifier notice events cut off the end of the chain.
    head_hash = models.CharField(max_length=64, default=GENESIS_HASH, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("remanufactured unit")
        verbose_name_plural = _("remanufactured units")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.trace_code


class TraceEventKind(models.TextChoices):
    CORE_INTAKE = "core_intake", _("Core intake")
    DISASSEMBLY = "disassembly", _("Disassembly")
    CLEANING = "cleaning", _("Cleaning")
    PART_REPLACEMENT = "part_replacement", _("Part replacement")
    REPAIR = "repair", _("Repair")
    FINAL_TEST = "final_test", _("Final test")
    WARRANTY_START = "warranty_start", _("Warranty start")
    SALE = "sale", _("Sale")


class AppendOnlyError(Exception):
    """A stored trace event was about to be changed or deleted."""


class TraceEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Trace events are append-only: they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Trace events are append-only: they cannot be deleted.")


class TraceEvent(models.Model):
    """One step of a unit's history. `hash` = SHA-256(prev_hash + canonical JSON of the event)."""

    unit = models.ForeignKey(RemanufacturedUnit, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=TraceEventKind.choices)
    occurred_at = models.DateTimeField()
    # Public facts of the step (shown to buyers); never personal data.
    data = models.JSONField(default=dict)
    # Internal: not in any public response.
    note = models.TextField(blank=True, max_length=2000)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = TraceEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("trace event")
        verbose_name_plural = _("trace events")
        ordering = ["unit", "sequence"]
        base_manager_name = "objects"
        constraints = [models.UniqueConstraint(fields=["unit", "sequence"], name="unique_trace_sequence")]

    def __str__(self):
        return f"{self.unit_id}#{self.sequence} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Trace events are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Trace events are append-only: they cannot be deleted.")


class ListingCertification(models.Model):
    """The certificate a remanufactured listing relies on, and the warranty it offers buyers."""

    listing = models.OneToOneField("listings.Listing", on_delete=models.CASCADE, related_name="certification")
    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="listing_links")
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"))
    coverage_zh = models.TextField(_("warranty coverage (Chinese)"), max_length=2000)
    coverage_en = models.TextField(_("warranty coverage (English)"), max_length=2000, blank=True)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("listing certification")
        verbose_name_plural = _("listing certifications")
        constraints = [models.CheckConstraint(condition=Q(warranty_months__gte=1), name="warranty_at_least_a_month")]

    def __str__(self):
        return f"{self.listing_id} -> {self.certificate_id}"

    @property
    def coverage(self):
        return localized(self, "coverage")


class ErasureMethod(models.TextChoices):
    # NIST SP 800-88 sanitization levels, plus a resident's self-declared factory reset.
    CLEAR = "clear", _("Clear (NIST SP 800-88)")
    PURGE = "purge", _("Purge (NIST SP 800-88)")
    DESTROY = "destroy", _("Destroy (NIST SP 800-88)")
    FACTORY_RESET = "factory_reset", _("Factory reset (self-declared)")


class VerificationResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class DataErasureRecord(models.Model):
    """How personal data was erased from a used phone or computer before it was listed (GB 46864)."""

    listing = models.ForeignKey("listings.Listing", on_delete=models.CASCADE, related_name="data_erasure_records")
    method = models.CharField(_("method"), max_length=16, choices=ErasureMethod.choices)
    tool = models.CharField(_("tool"), max_length=80, blank=True)
    tool_version = models.CharField(_("tool version"), max_length=40, blank=True)
    # Internal: the technician's name is not shown to buyers.
    operator_name = models.CharField(_("operator"), max_length=60, blank=True)
    performed_on = models.DateField(_("performed on"))
    verification_method = models.CharField(_("verification method"), max_length=200, blank=True)
    verification_result = models.CharField(
        _("verification result"), max_length=8, choices=VerificationResult.choices, blank=True
    )
    device_serial_last4 = models.CharField(_("serial or IMEI, last 4"), max_length=4)
    # True for residents' records: nobody but the seller vouches for them.
    self_declared = models.BooleanField(default=True, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("data-erasure record")
        verbose_name_plural = _("data-erasure records")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.method} for listing {self.listing_id}"

    @property
    def is_verified(self) -> bool:
        """Sanitized by an organization to NIST SP 800-88 and the verification passed."""
        return (
            not self.self_declared
            and self.method != ErasureMethod.FACTORY_RESET
            and self.verification_result == VerificationResult.PASSED
        )
