"""Certificates: issuing one, and every change of its status.

    valid ──suspend──> suspended ──reinstate──> valid
    valid | suspended ──revoke──> revoked                    (final)
    valid | suspended ──expire──> expired                    (by date; final)

Each status change locks the certificate, checks the table, writes one CertificateEvent, reports
the new status to listings for every listing relying on the certificate (source "certificate":
they are suspended while it is not in force and reinstated when it is again) and tells the
holder's admins, all in one transaction.
"""
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import OrganizationKind, Role
from accounts.permissions import has_org_role, require_org_can_act_as, require_org_role
from accounts.services import notify_org_admins
from certification import codes
from certification.models import (
    Certificate,
    CertificateEvent,
    CertificateSerial,
    CertificateStatus,
    CertificateType,
    ListingCertification,
)
from certification.selectors import certificate_covers
from listings import eligibility, lifecycle
from marketplace.errors import Conflict, DomainError, NotAllowed
from marketplace.transitions import StateMachine, lock

MACHINE = StateMachine(
    field="status",
    choices=CertificateStatus,
    moves={
        CertificateStatus.VALID: {CertificateStatus.SUSPENDED, CertificateStatus.REVOKED, CertificateStatus.EXPIRED},
        # A suspended certificate may still run out of time; reinstating it then would be wrong.
        CertificateStatus.SUSPENDED: {CertificateStatus.VALID, CertificateStatus.REVOKED, CertificateStatus.EXPIRED},
        CertificateStatus.REVOKED: set(),
        CertificateStatus.EXPIRED: set(),
    },
    refusal=gettext_lazy("A certificate that is %(current)s cannot become %(target)s."),
)
TRANSITIONS = MACHINE.moves

# The notification the holder's admins receive for each new status.
NOTICES = {
    CertificateStatus.SUSPENDED: "certificate_suspended",
    CertificateStatus.REVOKED: "certificate_revoked",
    CertificateStatus.EXPIRED: "certificate_expired",
    CertificateStatus.VALID: "certificate_reinstated",
}


def _next_number(certificate_type: str, year: int) -> str:
    prefix = codes.CERTIFICATE_PREFIXES[certificate_type]
    CertificateSerial.objects.get_or_create(prefix=prefix, year=year)
    # The increment locks the row until the transaction ends, so two issuers never share a serial.
    CertificateSerial.objects.filter(prefix=prefix, year=year).update(last=F("last") + 1)
    serial = CertificateSerial.objects.get(prefix=prefix, year=year).last
    return codes.certificate_number(certificate_type, year, serial)


def certificate_context(certificate, reason=""):
    return {
        "number": certificate.number,
        "issuer": certificate.issuer.name,
        "holder": certificate.holder.name,
        "valid_until": certificate.valid_until.isoformat(),
        "reason": reason,
    }


def require_unit_certificate(certificate, manufacturer, category) -> None:
    """A unit (or a listing offering units) names a product certificate of its maker covering its category."""
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
    notify_org_admins(holder, "certificate_issued", certificate_context(certificate))
    return certificate


def _lock(certificate) -> Certificate:
    return lock(Certificate.objects.select_related("issuer", "holder"), certificate.pk)


def _change_status(certificate, *, actor, to_status, reason) -> Certificate:
    """Move the locked certificate to `to_status` with its audit record, report the new status for
    every listing relying on it, and tell the holder's admins."""

    def audit(from_status):
        CertificateEvent.objects.create(
            certificate=certificate, actor=actor, from_status=from_status, to_status=to_status, reason=reason
        )

    def report(changed):
        relying = ListingCertification.objects.filter(certificate=changed).values_list("listing_id", flat=True)
        back = _("Certificate %(number)s is valid again.") % {"number": changed.number}
        lifecycle.reevaluate_many(relying, eligibility.CERTIFICATE, actor=actor,
                                  reason=back if to_status == CertificateStatus.VALID else "")
        notify_org_admins(changed.holder, NOTICES[to_status], certificate_context(changed, changed.status_reason))

    return MACHINE.apply(
        certificate, to_status, audit=audit, notify=report,
        changes={"status_reason": reason, "status_changed_at": timezone.now()},
    )


def require_issuer_admin(actor, certificate):
    if actor is None or not has_org_role(actor, certificate.issuer_id, Role.ADMIN):
        raise NotAllowed(_("Only administrators of the issuing certification body may change this certificate."))


@transaction.atomic
def withdraw_certificate(certificate, *, actor, to_status, reason) -> Certificate:
    """The issuing body suspends or revokes the certificate (`to_status`), giving a reason the
    holder and its sellers see; the listings relying on it go off sale in the same transaction."""
    if to_status not in (CertificateStatus.SUSPENDED, CertificateStatus.REVOKED):
        raise ValueError(f"A certificate is withdrawn by suspending or revoking it, not by {to_status!r}.")
    require_issuer_admin(actor, certificate)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason: the holder and its sellers will see it."), code="reason_required", field="reason")
    return _change_status(_lock(certificate), actor=actor, to_status=to_status, reason=reason)


def suspend_certificate(certificate, *, actor, reason) -> Certificate:
    return withdraw_certificate(certificate, actor=actor, to_status=CertificateStatus.SUSPENDED, reason=reason)


def revoke_certificate(certificate, *, actor, reason) -> Certificate:
    return withdraw_certificate(certificate, actor=actor, to_status=CertificateStatus.REVOKED, reason=reason)


@transaction.atomic
def reinstate_certificate(certificate, *, actor, reason="") -> Certificate:
    """A suspended certificate within its validity period is valid again, and so are the listings
    suspended only because of it."""
    require_issuer_admin(actor, certificate)
    certificate = _lock(certificate)
    if certificate.valid_until < timezone.localdate():
        raise Conflict(
            _("This certificate ran out on %(date)s; issue a new one instead of reinstating it.")
            % {"date": certificate.valid_until.isoformat()},
            code="certificate_out_of_date",
        )
    return _change_status(certificate, actor=actor, to_status=CertificateStatus.VALID,
                          reason=(reason or "").strip() or _("Reinstated"))


@transaction.atomic
def expire_certificate(certificate, *, actor=None, today=None) -> Certificate:
    """The validity period is over (a system action: actor is None when the periodic task runs)."""
    today = today or timezone.localdate()
    certificate = _lock(certificate)
    if certificate.valid_until >= today:
        raise Conflict(_("This certificate is still within its validity period."), code="not_due")
    return _change_status(
        certificate, actor=actor, to_status=CertificateStatus.EXPIRED,
        reason=_("Validity period ended on %(date)s") % {"date": certificate.valid_until.isoformat()},
    )


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
