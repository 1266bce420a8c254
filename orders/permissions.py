"""Who may see and act on an order or a claim.

The buying side is the buyer. The selling side is the person who sold, or for an organization's
sale its members (any member hands over at a stall or a counter); refunds and cancellations of an
organization's sale need its admins, or the member who sold it. Staff see and refund everything.
Grade claims are decided by members of a verified inspection agency, or staff, who are neither
the buyer nor on the selling side.
"""
from accounts.models import Membership, OrganizationKind, Role, VerificationStatus
from accounts.permissions import has_org_role
from listings.permissions import can_manage
from orders.models import ActorRole


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def is_buyer(user, order) -> bool:
    return _signed_in(user) and order.buyer_id == user.pk


def acts_for_seller(user, order) -> bool:
    """On the selling side: the seller, or a member of the selling organization."""
    if not _signed_in(user):
        return False
    if order.organization_id is None:
        return order.seller_id == user.pk
    return has_org_role(user, order.organization_id, Role.MEMBER)


def manages_sale(user, order) -> bool:
    """May refund or cancel for the seller: the seller (still a member), or an organization admin;
    the rule that says who manages the listing (`listings.permissions.can_manage`), on the order's
    seller and organization."""
    return can_manage(user, order)


def is_staff(user) -> bool:
    return _signed_in(user) and user.is_staff


def can_see_order(user, order) -> bool:
    return is_buyer(user, order) or acts_for_seller(user, order) or is_staff(user)


def role_of(user, order) -> str | None:
    """The role `user` acts in on `order` (buyer first, then seller, then staff); None for strangers."""
    if is_buyer(user, order):
        return ActorRole.BUYER
    if acts_for_seller(user, order):
        return ActorRole.SELLER
    if is_staff(user):
        return ActorRole.STAFF
    return None


def inspection_agency_ids(user) -> list[int]:
    """Verified inspection agencies the user is a member of."""
    if not _signed_in(user):
        return []
    return list(
        Membership.objects.filter(
            user=user, organization__kind=OrganizationKind.INSPECTION_AGENCY,
            organization__verification_status=VerificationStatus.VERIFIED,
        ).values_list("organization_id", flat=True)
    )
