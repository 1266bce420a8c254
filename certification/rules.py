"""Publish rules the certification app contributes to listings (registered in CertificationConfig.ready).

remanufactured_certificate_rule: a remanufactured listing is sold by a verified remanufacturer that
    holds a valid certificate covering the category. While on sale this is enforced by the
    certificate cascade (certification.services: source "certificate").
traced_units_rule: a remanufactured listing offers one traced unit per item that passed its
    (latest) final test and is not sold. Enforced while on sale with the source "compliance".
remanufactured_listing_rule: the two above together (what the certification endpoint shows).
data_erasure_rule: an organization may not sell a used phone or computer without a verified
    sanitization record (residents are reminded, not refused), and nobody sells one whose latest
    erasure record says the verification failed. Enforced while on sale with the source "compliance".
"""
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind
from certification.models import RemanufacturedUnit, VerificationResult
from certification.selectors import (
    certificate_covers,
    current_erasure_record,
    listing_certification,
    sellable_unit_ids,
)
from listings.models import ListingKind


def _sold_by_remanufacturer(listing) -> bool:
    org = listing.organization
    return org is not None and org.kind == OrganizationKind.REMANUFACTURER and org.is_verified


def remanufactured_certificate_rule(listing) -> list[str]:
    if listing.kind != ListingKind.REMANUFACTURED:
        return []
    if not _sold_by_remanufacturer(listing):
        return [_("Remanufactured goods are sold by a verified remanufacturer.")]
    link = listing_certification(listing)
    if link is None:
        return [_("Link the remanufacturing certificate and the warranty before publishing.")]
    reasons = []
    certificate = link.certificate
    if certificate.holder_id != listing.organization_id:
        reasons.append(_("Certificate %(number)s is held by another organization.") % {"number": certificate.number})
    if not certificate.is_in_force():
        reasons.append(_("Certificate %(number)s is not valid now.") % {"number": certificate.number})
    if not certificate_covers(certificate, listing.category):
        reasons.append(_("Certificate %(number)s does not cover this category.") % {"number": certificate.number})
    return reasons


def traced_units_rule(listing) -> list[str]:
    # Without a remanufacturer or a certificate link the certificate rule already says what to do.
    if listing.kind != ListingKind.REMANUFACTURED or not _sold_by_remanufacturer(listing):
        return []
    if listing_certification(listing) is None:
        return []
    ready = len(sellable_unit_ids(list(RemanufacturedUnit.objects.filter(listing=listing))))
    if ready < listing.quantity:
        return [
            _("Each item needs a traced unit that passed its final test: %(ready)d of %(quantity)d are ready.")
            % {"ready": ready, "quantity": listing.quantity}
        ]
    return []


def remanufactured_listing_rule(listing) -> list[str]:
    return [*remanufactured_certificate_rule(listing), *traced_units_rule(listing)]


def data_erasure_rule(listing) -> list[str]:
    if not listing.category.requires_data_erasure:
        return []
    record = current_erasure_record(listing)
    if record is not None and record.verification_result == VerificationResult.FAILED:
        return [_("The data erasure of this device failed its verification: erase it again and record the result.")]
    if listing.organization_id is None:
        return []
    if record is None or not record.is_verified:
        return [_("Record a verified data sanitization (NIST SP 800-88) for this device before publishing.")]
    return []
