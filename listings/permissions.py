"""Who may do what to a listing. Staff moderate; sellers and organization admins manage."""
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind, Role
from accounts.permissions import has_org_role, user_org_ids
from marketplace.errors import NotAllowed

# Organizations that sell goods; inspection agencies and certification bodies do not.
SELLING_ORG_KINDS = (
    OrganizationKind.MERCHANT,
    OrganizationKind.REMANUFACTURER,
    OrganizationKind.COMMUNITY,
    OrganizationKind.SCHOOL,
)


def can_manage(user, listing) -> bool:
    """The seller, or an admin (or owner) of the selling organization, manages a listing.

    A listing sold for an organization belongs to the organization: its seller manages it only
    while still a member of it, so an employee removed from the organization loses control.
    """
    if user is None or not user.is_authenticated:
        return False
    if listing.organization_id is None:
        return listing.seller_id == user.pk
    if has_org_role(user, listing.organization_id, Role.ADMIN):
        return True
    return listing.seller_id == user.pk and has_org_role(user, listing.organization_id, Role.MEMBER)


def require_manage(user, listing) -> None:
    if not can_manage(user, listing):
        raise NotAllowed(_("Only the seller or an admin of the selling organization may change this listing."))


def require_staff(user) -> None:
    if user is None or not user.is_authenticated or not user.is_staff:
        raise NotAllowed(_("Only platform staff may moderate listings."))


def managed_filter(user):
    """Q of the listings `user` manages (as can_manage): their own personal listings, those they sell
    for an organization they still belong to, and those of organizations they administer."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    return (
        Q(seller=user, organization__isnull=True)
        | Q(seller=user, organization_id__in=user_org_ids(user, Role.MEMBER))
        | Q(organization_id__in=user_org_ids(user, Role.ADMIN))
    )
