"""Staff roles: the moderators group opens what moderation needs in the admin, and nothing more."""
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from accounts.models import OrganizationKind, VerificationStatus
from accounts.roles import MODERATOR_PERMISSIONS, MODERATORS, make_moderator, setup_roles
from tests.factories import OrganizationFactory, StaffFactory, UserFactory, member_of
from tests.listings.factories import ListingFactory


def granted(group):
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


LISTED = {f"{app}.{codename}" for app, codenames in MODERATOR_PERMISSIONS.items() for codename in codenames}


def test_setup_roles_makes_the_group_with_exactly_its_permissions_and_can_run_again(db):
    call_command("setup_roles", stdout=StringIO())
    group = Group.objects.get(name=MODERATORS)
    group.permissions.clear()
    group.permissions.add(*Permission.objects.filter(codename="delete_user"))  # a drifted group is put right

    out = StringIO()
    call_command("setup_roles", stdout=out)

    assert Group.objects.filter(name=MODERATORS).count() == 1
    assert granted(Group.objects.get(name=MODERATORS)) == LISTED
    assert f"{MODERATORS}: {len(LISTED)} permissions" in out.getvalue()
    # Read-only everywhere except deciding verification.
    assert {p for p in LISTED if not p.split(".")[1].startswith("view_")} == {"accounts.verify_organization"}


def test_setup_roles_makes_named_accounts_moderators(db):
    lina = UserFactory(email="lina@example.com")
    call_command("setup_roles", "--moderator", "LINA@example.com", stdout=StringIO())
    lina.refresh_from_db()
    assert lina.is_staff and lina.groups.filter(name=MODERATORS).exists()
    with pytest.raises(CommandError, match="No account"):
        call_command("setup_roles", "--moderator", "nobody@example.com", stdout=StringIO())


@pytest.fixture
def moderator(db, client):
    setup_roles()
    staff = StaffFactory()
    make_moderator(staff)
    client.force_login(staff)
    return client


def test_a_moderator_opens_listings_reports_organizations_certificates_and_grading(moderator, db):
    listing = ListingFactory()
    org = OrganizationFactory()
    index = moderator.get("/admin/")
    assert index.status_code == 200
    for url in ("/admin/listings/listing/", f"/admin/listings/listing/{listing.pk}/change/", "/admin/listings/listingreport/",
                "/admin/listings/category/", "/admin/accounts/organization/", f"/admin/accounts/organization/{org.pk}/change/",
                "/admin/certification/certificate/", "/admin/certification/remanufacturedunit/",
                "/admin/grading/gradingstandard/", "/admin/grading/assessment/"):
        assert moderator.get(url).status_code == 200, url
        assert f'href="{url}"' in index.content.decode() or "/change/" in url, url


def test_a_moderator_changes_no_listing_and_sees_no_users_groups_or_personal_records(moderator, db):
    listing = ListingFactory(title="原标题")
    for url in ("/admin/accounts/user/", "/admin/auth/group/", "/admin/accounts/invitation/",
                "/admin/accounts/registration/", "/admin/certification/dataerasurerecord/",
                "/admin/notifications/notification/", "/admin/listings/listing/add/"):
        assert moderator.get(url).status_code == 403, url
    moderator.post(f"/admin/listings/listing/{listing.pk}/change/", {"title": "改过的标题"})
    listing.refresh_from_db()
    assert listing.title == "原标题"


def test_a_moderator_verifies_organizations_in_the_admin_through_the_service(moderator, db):
    pending = OrganizationFactory(verification_status=VerificationStatus.PENDING, kind=OrganizationKind.SCHOOL)
    owner = member_of(pending, "owner")
    response = moderator.post("/admin/accounts/organization/", {"action": "verify_selected", "_selected_action": [pending.pk]})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.is_verified
    assert owner.notifications.filter(kind="organization_verified").exists()


def test_staff_without_a_role_cannot_verify_in_the_admin(client, db):
    client.force_login(StaffFactory())
    pending = OrganizationFactory(verification_status=VerificationStatus.PENDING)
    response = client.post("/admin/accounts/organization/", {"action": "verify_selected", "_selected_action": [pending.pk]})
    assert response.status_code == 403
    pending.refresh_from_db()
    assert not pending.is_verified
