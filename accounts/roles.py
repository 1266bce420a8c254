"""Roles of platform staff, held through groups: what each may open and do in the admin.

Staff act through the API (moderation, verification) and the admin. A staff account without a
group sees nothing in the admin; superusers see everything. `manage.py setup_roles` makes the
groups (idempotent: each group gets exactly the permissions listed here), and `load_demo` does
the same and puts the demo staff account into `moderators`.
"""
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

MODERATORS = "moderators"

# Moderators look into listings, reports, organizations, certificates and grading, and decide
# organization verification. They change nothing else in the admin: listings are suspended and
# reports handled through the staff API (listings.services), users and permissions stay with
# superusers, and personal data such as data-erasure records and invitations is not shown.
MODERATOR_PERMISSIONS = {
    "listings": [
        "view_category", "view_listing", "view_listingphoto", "view_listingchange", "view_listingtransition",
        "view_listingreport",
    ],
    "accounts": [
        "view_organization", "verify_organization", "view_organizationverificationevent", "view_membership",
    ],
    "certification": [
        "view_certificate", "view_certificateevent", "view_certificatedocument", "view_remanufacturedunit",
        "view_traceevent", "view_listingcertification",
    ],
    "grading": [
        "view_gradingstandard", "view_gradelevel", "view_criterion", "view_standardtransition", "view_assessment",
        "view_assessmentevidence",
    ],
}

ROLES = {MODERATORS: MODERATOR_PERMISSIONS}


def _permissions(spec: dict[str, list[str]]) -> list[Permission]:
    permissions = []
    for app_label, codenames in spec.items():
        found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        missing = set(codenames) - {permission.codename for permission in found}
        if missing:
            # Permissions are made by `migrate`; a missing one is a renamed model or an unmigrated database.
            raise ImproperlyConfigured(f"No permissions {sorted(missing)} in {app_label}: run migrate, or update accounts.roles.")
        permissions += found
    return permissions


@transaction.atomic
def setup_roles() -> dict[str, Group]:
    """Make each role's group with exactly its permissions; returns the groups by name."""
    groups = {}
    for name, spec in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(spec))
        groups[name] = group
    return groups


@transaction.atomic
def make_moderator(user) -> None:
    """Staff status and the moderators group (which setup_roles must have made)."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=MODERATORS))
