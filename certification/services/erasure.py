"""Data-erasure records of used phones and computers sold in listings."""
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.models import DataErasureRecord, ErasureMethod
from listings import eligibility, lifecycle
from listings.models import Listing
from listings.permissions import require_manage
from marketplace.errors import DomainError
from marketplace.transitions import lock


@transaction.atomic
def record_data_erasure(
    listing, *, actor, method, performed_on, device_serial_last4, tool="", tool_version="", operator_name="",
    verification_method="", verification_result="",
) -> DataErasureRecord:
    """Record how personal data was erased from a used phone or computer before it is sold.

    Organizations must sanitize to NIST SP 800-88 (clear, purge or destroy) and say who did it,
    with which tool and how it was verified; residents may declare a factory reset. The record
    is reported to listings (source "compliance"): a failed verification takes a listing on sale
    off sale, a later passed record brings it back.
    """
    listing = lock(Listing.objects.select_related("organization", "category"), listing.pk, of=("self",))
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
    lifecycle.reevaluate(listing, eligibility.COMPLIANCE, fields={"data_erasure"})
    return record
