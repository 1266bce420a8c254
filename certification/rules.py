"""Publish rules the certification app contributes to listings (registered in CertificationConfig.ready).

remanufactured_listing_rule: a remanufactured listing is sold by a verified remanufacturer that
    holds a valid certificate covering the category, and offers one traced, tested unit per item.
data_erasure_rule: an organization may not sell a used phone or computer without a verified
    sanitization record (residents are reminded, not refused).
"""
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind
from certification.models import RemanufacturedUnit
from certification.selectors import (
    certificate_covers,
    current_erasure_record,
    listing_certification,
    sellable_unit_ids,
)
from listings.models import ListingKind


def remanufactured_listing_rule(listing) -> list[str]:
    if listing.kind != ListingKind.REMANUFACTURED:
        return []
    org = listing.organization
    if org is None or org.kind != OrganizationKind.REMANUFACTURER or not org.is_verified:
        return [_("Remanufactured goods are sold by a verified remanufacturer.")]
    link = listing_certification(listing)
    if link is None:
        return [_("Link the remanufacturing certificate and the warranty before publishing.")]
    reasons = []
    certificate = link.certificate
    if certificate.holder_id != org.pk:
        reasons.append(_("Certificate %(number)s is held by another organization.") % {"number": certificate.number})
    if not certificate.is_in_force():
        reasons.append(_("Certificate %(number)s is not valid now.") % {"number": certificate.number})
    if not certificate_covers(certificate, listing.category):
        reasons.append(_("Certificate %(number)s does not cover this category.") % {"number": certificate.number})
    ready = len(sellable_unit_ids(list(RemanufacturedUnit.objects.filter(listing=listing))))
    if ready < listing.quantity:
        reasons.append(
            _("Each item needs a traced unit that passed its final test: %(ready)d of %(quantity)d are ready.")
            % {"ready": ready, "quantity": listing.quantity}
        )
    return reasons


def data_erasure_rule(listing) -> list[str]:
    if listing.organization_id is None or not listing.category.requires_data_erasure:
        return []
    record = current_erasure_record(listing)
    if record is None or not record.is_verified:
        return [_("Record a verified data sanitization (NIST SP 800-88) for this device before publishing.")]
    return []
