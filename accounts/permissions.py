"""Organization permission helpers that every app reuses.

    has_org_role(user, org, Role.ADMIN)          -> is the user a member of org with role >= admin?
    org_can_act_as(org, OrganizationKind.X)      -> is org verified and of kind X?
    require_org_role / require_org_can_act_as    -> the same, raising NotAllowed with a reason.
"""
from django.utils.translation import gettext as _

from accounts.models import ROLE_RANK, Membership, Organization, OrganizationKind, Role
from marketplace.errors import NotAllowed


def membership_of(user, org) -> Membership | None:
    if not user or not user.is_authenticated or org is None:
        return None
    org_id = org.pk if isinstance(org, Organization) else org
    cache = user.__dict__.setdefault("_membership_cache", {})
    if org_id not in cache:
        cache[org_id] = Membership.objects.filter(organization_id=org_id, user=user).first()
    return cache[org_id]


def has_org_role(user, org, min_role: str = Role.MEMBER) -> bool:
    membership = membership_of(user, org)
    return membership is not None and ROLE_RANK[membership.role] >= ROLE_RANK[min_role]


def org_can_act_as(org, kind: str) -> bool:
    return org is not None and org.kind == kind and org.is_verified


def require_org_role(user, org, min_role: str = Role.MEMBER) -> Membership:
    if not has_org_role(user, org, min_role):
        raise NotAllowed(
            _("You need the role “%(role)s” or higher in %(org)s.") % {"role": Role(min_role).label, "org": org.name}
        )
    return membership_of(user, org)


def require_org_can_act_as(org, kind: str) -> None:
    if org.kind != kind:
        raise NotAllowed(
            _("%(org)s cannot do this: it is not registered with the role “%(kind)s”.")
            % {"org": org.name, "kind": OrganizationKind(kind).label},
            code="wrong_organization_kind",
        )
    if not org.is_verified:
        raise NotAllowed(
            _("%(org)s must be verified by the platform before it can act in the role “%(kind)s”.")
            % {"org": org.name, "kind": OrganizationKind(kind).label},
            code="organization_not_verified",
        )


def user_org_ids(user, min_role: str = Role.MEMBER) -> list[int]:
    """Ids of the organizations where the user holds at least `min_role`."""
    if not user or not user.is_authenticated:
        return []
    roles = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[min_role]]
    return list(Membership.objects.filter(user=user, role__in=roles).values_list("organization_id", flat=True))

