"""The certificate, warranty and traced units a remanufactured listing relies on."""
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind
from certification import codes
from certification.models import ListingCertification, RemanufacturedUnit
from certification.selectors import sellable_unit_ids
from certification.services.certificates import require_unit_certificate
from listings import eligibility, lifecycle
from listings.models import Listing, ListingKind, ListingState
from listings.permissions import require_manage
from marketplace.errors import Conflict, DomainError
from marketplace.transitions import lock


@transaction.atomic
def link_listing_certificate(
    listing, *, actor, certificate, warranty_months, coverage_zh, coverage_en="", unit_codes=(),
) -> ListingCertification:
    """Name the certificate a remanufactured listing relies on, its warranty and the units it sells.

    On sale (or suspended) the change may not break a rule of being on sale (409
    `not_publishable`); afterwards listings re-checks the sources "certificate" and "compliance",
    so a listing suspended for a lapsed certificate or for failed units comes back once linked
    to a valid certificate and passed units.
    """
    listing = lock(Listing.objects.select_related("organization", "category"), listing.pk, of=("self",))
    require_manage(actor, listing)
    if listing.kind != ListingKind.REMANUFACTURED:
        raise DomainError(_("Only remanufactured listings carry a remanufacturing certificate."), code="not_remanufactured")
    if listing.state in (ListingState.SOLD, ListingState.WITHDRAWN):
        raise Conflict(_("This listing is closed."), code="listing_closed")
    org = listing.organization
    if org is None or not org.is_verified or org.kind != OrganizationKind.REMANUFACTURER:
        raise DomainError(_("Remanufactured goods are sold by a verified remanufacturer."), code="not_remanufacturer")
    require_unit_certificate(certificate, org, listing.category)
    if not certificate.is_in_force():
        raise Conflict(_("Certificate %(number)s is not valid now.") % {"number": certificate.number},
                       code="certificate_not_valid", field="certificate")

    with eligibility.kept_on_sale(listing):
        units = _units_to_offer(listing, org, certificate, unit_codes)
        RemanufacturedUnit.objects.filter(listing=listing).exclude(pk__in=[unit.pk for unit in units]).update(listing=None)
        RemanufacturedUnit.objects.filter(pk__in=[unit.pk for unit in units]).update(listing=listing)
        link, _created = ListingCertification.objects.update_or_create(
            listing=listing,
            defaults={"certificate": certificate, "warranty_months": warranty_months, "coverage_zh": coverage_zh,
                      "coverage_en": coverage_en, "linked_by": actor},
        )
    lifecycle.reevaluate(
        listing, eligibility.CERTIFICATE, actor=actor, fields={"certification"},
        reason=_("Linked to the valid certificate %(number)s.") % {"number": certificate.number},
    )
    lifecycle.reevaluate(listing, eligibility.COMPLIANCE)
    return link


def _units_to_offer(listing, org, certificate, unit_codes) -> list[RemanufacturedUnit]:
    """The units named by `unit_codes`, locked, each checked to be offerable in this listing."""
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
    return units
