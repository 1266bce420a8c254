"""The Django admin for accounts: staff create phone-only users and verify through the service."""
from accounts.models import User, VerificationStatus
from tests.factories import OrganizationFactory, StaffFactory, member_of


def test_admin_creates_a_phone_only_user(client, db):
    client.force_login(StaffFactory(is_superuser=True))
    for number in ("13800138000", "139 0013 9000"):  # two users without e-mail may coexist
        response = client.post(
            "/admin/accounts/user/add/",
            {"email": "", "phone": number, "password1": "x-long-secret-99", "password2": "x-long-secret-99",
             "usable_password": "true"},
        )
        assert response.status_code == 302, response.content
    assert set(User.objects.filter(email__isnull=True).values_list("phone", flat=True)) == {
        "+8613800138000", "+8613900139000"
    }


def test_admin_verify_action_goes_through_the_service(client, db):
    staff = StaffFactory(is_superuser=True)
    pending = OrganizationFactory(verification_status=VerificationStatus.PENDING)
    owner = member_of(pending, "owner")
    already = OrganizationFactory()
    client.force_login(staff)

    response = client.post(
        "/admin/accounts/organization/",
        {"action": "verify_selected", "_selected_action": [pending.pk, already.pk]},
    )

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.is_verified
    assert pending.verification_events.get().actor == staff
    assert owner.notifications.filter(kind="organization_verified").exists()
    assert already.verification_events.count() == 0  # refused as a conflict, reported, not crashed


def test_admin_pages_open(client, db):
    staff = StaffFactory(is_superuser=True)
    org = OrganizationFactory()
    client.force_login(staff)
    for url in ("/admin/accounts/user/add/", f"/admin/accounts/user/{staff.pk}/change/", "/admin/accounts/organization/",
                f"/admin/accounts/organization/{org.pk}/change/", "/admin/accounts/invitation/",
                "/admin/notifications/notification/", "/admin/notifications/notificationpreference/"):
        assert client.get(url).status_code == 200, url
