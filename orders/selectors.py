"""Reads of orders and claims: what a user may see, loaded with what the serializers read."""
from django.db.models import Q

from accounts.models import Role
from accounts.permissions import user_org_ids
from orders.models import Claim, ClaimState, Order, Review
from orders.permissions import inspection_agency_ids


def claim_of(order) -> Claim | None:
    try:
        return order.claim
    except Claim.DoesNotExist:
        return None


def review_of(order) -> Review | None:
    try:
        return order.review
    except Review.DoesNotExist:
        return None


def visible_orders(user):
    """Orders the user bought, sold (alone or as a member of the selling organization); staff: all."""
    orders = Order.objects.select_related("buyer", "seller", "organization", "claim", "review")
    if not user or not user.is_authenticated:
        return orders.none()
    if user.is_staff:
        return orders
    return orders.filter(
        Q(buyer=user)
        | Q(seller=user, organization__isnull=True)
        | Q(organization_id__in=user_org_ids(user, Role.MEMBER))
    )


def visible_claims(user):
    """Claims of the user's orders (either side); inspection agency members also see the claims
    waiting for a decision and those their agency decided; staff see all."""
    claims = Claim.objects.select_related("order__listing", "buyer").prefetch_related("photos")
    if not user or not user.is_authenticated:
        return claims.none()
    if user.is_staff:
        return claims
    visible = (
        Q(order__buyer=user)
        | Q(order__seller=user, order__organization__isnull=True)
        | Q(order__organization_id__in=user_org_ids(user, Role.MEMBER))
    )
    agencies = inspection_agency_ids(user)
    if agencies:
        visible |= Q(state__in=(ClaimState.OPEN, ClaimState.ANSWERED)) | Q(decided_for_id__in=agencies)
    return claims.filter(visible)
