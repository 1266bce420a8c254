"""Rules of being on sale that read certification's data; listings.eligibility owns their sources
and registers them (CertificationConfig.ready). Each reason is a (code, message) pair.

remanufactured_certificate (source "certificate"): a remanufactured listing is sold by a verified
    remanufacturer (`remanufacturer_required`) that linked its certificate (`certificate_required`),
    held by that remanufacturer (`certificate_other_holder`), in force (`certificate_not_valid`)
    and covering the category (`certificate_not_covering`).
traced_units (source "compliance"): a remanufactured listing offers one traced unit per item that
    passed its (latest) final test and is not sold (`traced_units_missing`).
data_erasure (source "compliance"): an organization may not sell a used phone or computer without
    a verified sanitization record (`data_erasure_required`; residents are reminded, not refused),
    and nobody sells one whose latest erasure record says the verification failed
    (`data_erasure_failed`).
remanufactured_listing_rule: the messages of the first two together (what the certification
    endpoint shows).
"""
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind
from certification.models import CertificateStatus, RemanufacturedUnit, VerificationResult
from certification.selectors import (
    certificate_covers,
    current_erasure_record,
    listing_certification,
    sellable_unit_ids,
)
from listings.models import ListingKind

CERTIFICATE_CODES = (
    "remanufacturer_required", "certificate_required", "certificate_other_holder", "certificate_not_valid",
    "certificate_not_covering",
)
TRACED_UNITS_CODES = ("traced_units_missing",)
DATA_ERASURE_CODES = ("data_erasure_failed", "data_erasure_required")


def _sold_by_remanufacturer(listing) -> bool:
    org = listing.organization
    return org is not None and org.kind == OrganizationKind.REMANUFACTURER and org.is_verified


def _not_in_force(certificate) -> str:
    if certificate.status != CertificateStatus.VALID and certificate.status_reason:
        return _("Certificate %(number)s is not valid now (%(status)s: %(why)s).") % {
            "number": certificate.number, "status": CertificateStatus(certificate.status).label,
            "why": certificate.status_reason,
        }
    return _("Certificate %(number)s is not valid now.") % {"number": certificate.number}


def remanufactured_certificate_rule(listing) -> list[tuple[str, str]]:
    if listing.kind != ListingKind.REMANUFACTURED:
        return []
    if not _sold_by_remanufacturer(listing):
        return [("remanufacturer_required", _("Remanufactured goods are sold by a verified remanufacturer."))]
    link = listing_certification(listing)
    if link is None:
        return [("certificate_required", _("Link the remanufacturing certificate and the warranty before publishing."))]
    reasons = []
    certificate = link.certificate
    if certificate.holder_id != listing.organization_id:
        reasons.append(("certificate_other_holder",
                        _("Certificate %(number)s is held by another organization.") % {"number": certificate.number}))
    if not certificate.is_in_force():
        reasons.append(("certificate_not_valid", _not_in_force(certificate)))
    if not certificate_covers(certificate, listing.category):
        reasons.append(("certificate_not_covering",
                        _("Certificate %(number)s does not cover this category.") % {"number": certificate.number}))
    return reasons


def traced_units_rule(listing) -> list[tuple[str, str]]:
    # Without a remanufacturer or a certificate link the certificate rule already says what to do.
    if listing.kind != ListingKind.REMANUFACTURED or not _sold_by_remanufacturer(listing):
        return []
    if listing_certification(listing) is None:
        return []
    ready = len(sellable_unit_ids(list(RemanufacturedUnit.objects.filter(listing=listing))))
    if ready < listing.quantity:
        return [(
            "traced_units_missing",
            _("Each item needs a traced unit that passed its final test: %(ready)d of %(quantity)d are ready.")
            % {"ready": ready, "quantity": listing.quantity},
        )]
    return []


def remanufactured_listing_rule(listing) -> list[str]:
    return [message for _code, message in (*remanufactured_certificate_rule(listing), *traced_units_rule(listing))]


def data_erasure_rule(listing) -> list[tuple[str, str]]:
    if not listing.category.requires_data_erasure:
        return []
    record = current_erasure_record(listing)
    if record is not None and record.verification_result == VerificationResult.FAILED:
        return [("data_erasure_failed",
                 _("The data erasure of this device failed its verification: erase it again and record the result."))]
    if listing.organization_id is None:
        return []
    if record is None or not record.is_verified:
        return [("data_erasure_required",
                 _("Record a verified data sanitization (NIST SP 800-88) for this device before publishing."))]
    return []
