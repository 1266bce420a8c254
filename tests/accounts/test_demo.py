"""The demo world: `manage.py load_demo` is safe to run again."""
from io import StringIO

from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD
from accounts.models import Membership, Organization, OrganizationKind, OrganizationVerificationEvent, User
from accounts.roles import MODERATORS


def accounts_snapshot():
    return (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        OrganizationVerificationEvent.objects.count(),
    )


def test_load_demo_runs_twice_without_duplicating_accounts(db):
    call_command("load_demo", stdout=StringIO())
    first = accounts_snapshot()
    call_command("load_demo", stdout=StringIO())

    assert accounts_snapshot() == first
    assert first[0] >= 10
    kinds = set(Organization.objects.values_list("kind", flat=True))
    assert kinds == set(OrganizationKind.values)
    assert all(org.is_verified for org in Organization.objects.all())
    staff = User.objects.get(email="staff@example.com")
    assert staff.is_staff and staff.check_password(DEMO_PASSWORD)
    assert list(staff.groups.values_list("name", flat=True)) == [MODERATORS]
    assert Group.objects.get(name=MODERATORS).permissions.count() > 0
    assert User.objects.get(phone="+8613800138001").check_password(DEMO_PASSWORD)
    for org in Organization.objects.all():
        org.full_clean()  # demo credit codes pass the same validation as real ones
        assert org.memberships.filter(role="owner").exists()
        assert list(org.verification_events.values_list("to_status", flat=True)) == ["pending", "verified"]
    assert Membership.objects.filter(organization__kind="school", campus_role="student").count() == 3
