"""Who may see and do what with events, corners and book swaps.

    organizer      an admin (or owner) of the organizing organization: manages the event
    crew           any member of the organizing organization: scans passes, sees arrivals
    member         a member of the organization: sees members-only events
    campus member  a student or teacher of a school: takes part in its book swaps and corners
    staff          sees everything, changes nothing here (organizers run their events)
"""
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import CampusRole, Membership, OrganizationKind, Role
from accounts.permissions import has_org_role, membership_of, user_org_ids
from marketplace.errors import NotAllowed

CAMPUS_ROLES = (CampusRole.STUDENT, CampusRole.TEACHER)


def organizer_kinds() -> list[str]:
    return list(settings.EVENTS_ORGANIZER_KINDS)


def is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff)


def can_organize(user, organization) -> bool:
    return has_org_role(user, organization, Role.ADMIN)


def require_organizer(user, organization) -> None:
    if not can_organize(user, organization):
        raise NotAllowed(_("Only administrators of %(org)s may do this.") % {"org": organization.name})


def is_crew(user, organization) -> bool:
    return has_org_role(user, organization, Role.MEMBER)


def require_crew(user, organization) -> None:
    if not is_crew(user, organization):
        raise NotAllowed(_("Only members of %(org)s may do this.") % {"org": organization.name})


def is_campus_member(user, organization) -> bool:
    """A student or teacher of the school (what book swaps and sharing corners are for)."""
    membership = membership_of(user, organization)
    return membership is not None and membership.campus_role in CAMPUS_ROLES


def require_campus_member(user, organization, who=None) -> None:
    if not is_campus_member(who or user, organization):
        raise NotAllowed(
            _("Only students and teachers of %(org)s take part in its book swaps.") % {"org": organization.name},
            code="not_a_campus_member",
        )


def require_can_organize_events(organization) -> None:
    """A verified organization of a kind that may run events."""
    if organization.kind not in organizer_kinds():
        raise NotAllowed(
            _("%(org)s cannot organize events: it is not a community, school or other event organizer.")
            % {"org": organization.name},
            code="wrong_organization_kind",
        )
    if not organization.is_verified:
        raise NotAllowed(
            _("%(org)s must be verified by the platform before it can organize events.") % {"org": organization.name},
            code="organization_not_verified",
        )


def require_school(organization) -> None:
    if organization.kind != OrganizationKind.SCHOOL or not organization.is_verified:
        raise NotAllowed(
            _("Only verified schools run sharing corners and book share days; %(org)s is not one.")
            % {"org": organization.name},
            code="not_a_school",
        )


def visible_events_filter(user) -> Q:
    """Q of the events `user` may see: published and later public events; members-only ones for
    members; drafts for the organization's members; everything for staff."""
    if is_staff(user):
        return Q()
    from events.models import EventState, Visibility

    listed = ~Q(state=EventState.DRAFT)
    if user is None or not user.is_authenticated:
        return listed & Q(visibility=Visibility.PUBLIC)
    mine = user_org_ids(user, Role.MEMBER)
    return (listed & (Q(visibility=Visibility.PUBLIC) | Q(organization_id__in=mine))) | Q(organization_id__in=mine)


def can_see_event(user, event) -> bool:
    from events.models import EventState, Visibility

    if is_staff(user) or is_crew(user, event.organization_id):
        return True
    return event.state != EventState.DRAFT and event.visibility == Visibility.PUBLIC


def campus_organization_ids(user) -> list[int]:
    """Schools where `user` is a student or teacher."""
    if user is None or not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, campus_role__in=CAMPUS_ROLES).values_list("organization_id", flat=True)
    )
