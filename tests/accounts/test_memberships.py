"""Memberships (roles, owners, campus roles) and invitations (hashed one-time codes)."""
import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Invitation, Membership, OrganizationKind, Role, VerificationStatus
from notifications.models import Notification
from tests.factories import OrganizationFactory, UserFactory, member_of
from tests.helpers import assert_error_shape


@pytest.fixture
def team(db):
    org = OrganizationFactory()
    return {
        "org": org,
        "owner": member_of(org, Role.OWNER),
        "admin": member_of(org, Role.ADMIN),
        "member": member_of(org, Role.MEMBER),
        "outsider": UserFactory(),
    }


def members_url(org, user=None):
    return f"/api/v1/organizations/{org.pk}/members/" + (f"{user.pk}/" if user else "")


def role_of(org, user):
    return Membership.objects.get(organization=org, user=user).role


# Listing members ----------------------------------------------------------------------------------

def test_members_are_listed_to_members_and_staff(api, client_for, team, staff):
    org = team["org"]
    assert_error_shape(api.get(members_url(org)), 401)
    assert_error_shape(client_for(team["outsider"]).get(members_url(org)), 403)
    for viewer in (team["member"], team["owner"], staff):
        rows = client_for(viewer).get(members_url(org)).json()
        assert {row["user"]["id"]: row["role"] for row in rows} == {
            team["owner"].pk: "owner", team["admin"].pk: "admin", team["member"].pk: "member"
        }
        assert all("email" not in row["user"] and "phone" not in row["user"] for row in rows)


def test_members_of_a_pending_org_are_hidden_from_outsiders(client_for, db):
    org = OrganizationFactory(verification_status=VerificationStatus.PENDING)
    member_of(org, Role.OWNER)
    assert_error_shape(client_for(UserFactory()).get(members_url(org)), 404)


def test_member_list_query_budget(client_for, team, django_assert_max_num_queries):
    for _ in range(10):
        member_of(team["org"])
    client = client_for(team["member"])
    with django_assert_max_num_queries(4):  # my org ids, org, my membership, members with users
        assert len(client.get(members_url(team["org"])).json()) == 13


# Changing roles -----------------------------------------------------------------------------------

def test_admin_promotes_a_member_to_admin(client_for, team):
    response = client_for(team["admin"]).patch(members_url(team["org"], team["member"]), {"role": "admin"})
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "admin"
    assert role_of(team["org"], team["member"]) == Role.ADMIN


def test_admin_cannot_grant_ownership(client_for, team):
    response = client_for(team["admin"]).patch(members_url(team["org"], team["member"]), {"role": "owner"})
    assert_error_shape(response, 403, "permission_denied")
    assert role_of(team["org"], team["member"]) == Role.MEMBER


def test_admin_cannot_demote_an_owner(client_for, team):
    response = client_for(team["admin"]).patch(members_url(team["org"], team["owner"]), {"role": "member"})
    assert_error_shape(response, 403)
    assert role_of(team["org"], team["owner"]) == Role.OWNER


def test_owner_grants_ownership_and_then_may_step_down(client_for, team):
    owner = client_for(team["owner"])
    assert owner.patch(members_url(team["org"], team["admin"]), {"role": "owner"}).status_code == 200
    assert owner.patch(members_url(team["org"], team["owner"]), {"role": "admin"}).status_code == 200
    assert role_of(team["org"], team["owner"]) == Role.ADMIN
    assert role_of(team["org"], team["admin"]) == Role.OWNER


def test_the_last_owner_cannot_step_down(client_for, team):
    response = client_for(team["owner"]).patch(members_url(team["org"], team["owner"]), {"role": "admin"})
    assert_error_shape(response, 409, "last_owner")
    assert role_of(team["org"], team["owner"]) == Role.OWNER


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_members_and_outsiders_cannot_change_roles(client_for, team, who):
    response = client_for(team[who]).patch(members_url(team["org"], team["member"]), {"role": "admin"})
    assert_error_shape(response, 403)
    assert role_of(team["org"], team["member"]) == Role.MEMBER


def test_staff_can_change_any_role(client_for, team, staff):
    response = client_for(staff).patch(members_url(team["org"], team["member"]), {"role": "owner"})
    assert response.status_code == 200
    assert role_of(team["org"], team["member"]) == Role.OWNER


def test_anonymous_cannot_change_roles(api, team):
    assert_error_shape(api.patch(members_url(team["org"], team["member"]), {"role": "admin"}), 401)


def test_unknown_role_or_member_is_refused(client_for, team):
    owner = client_for(team["owner"])
    body = assert_error_shape(owner.patch(members_url(team["org"], team["member"]), {"role": "king"}), 400)
    assert "role" in body["errors"]
    assert_error_shape(owner.patch(members_url(team["org"], team["outsider"]), {"role": "admin"}), 404)


def test_campus_roles_are_only_for_schools(client_for, team, db):
    body = assert_error_shape(
        client_for(team["owner"]).patch(members_url(team["org"], team["member"]), {"campus_role": "student"}), 400
    )
    assert "campus_role" in body["errors"]

    school = OrganizationFactory(kind=OrganizationKind.SCHOOL)
    teacher = member_of(school, Role.OWNER)
    pupil = member_of(school)
    response = client_for(teacher).patch(members_url(school, pupil), {"campus_role": "student"})
    assert response.status_code == 200, response.content
    assert Membership.objects.get(organization=school, user=pupil).campus_role == "student"


# Removing members ---------------------------------------------------------------------------------

def test_a_member_may_leave(client_for, team):
    assert client_for(team["member"]).delete(members_url(team["org"], team["member"])).status_code == 204
    assert not Membership.objects.filter(organization=team["org"], user=team["member"]).exists()


def test_the_last_owner_cannot_leave(client_for, team):
    assert_error_shape(client_for(team["owner"]).delete(members_url(team["org"], team["owner"])), 409, "last_owner")


def test_admin_removes_a_member_but_not_an_owner(client_for, team):
    admin = client_for(team["admin"])
    assert_error_shape(admin.delete(members_url(team["org"], team["owner"])), 403)
    assert admin.delete(members_url(team["org"], team["member"])).status_code == 204


def test_members_and_outsiders_cannot_remove_others(client_for, team):
    assert_error_shape(client_for(team["member"]).delete(members_url(team["org"], team["admin"])), 403)
    assert_error_shape(client_for(team["outsider"]).delete(members_url(team["org"], team["member"])), 403)
    assert Membership.objects.filter(organization=team["org"]).count() == 3


def test_staff_removes_a_member(client_for, team, staff):
    assert client_for(staff).delete(members_url(team["org"], team["admin"])).status_code == 204


# Invitations --------------------------------------------------------------------------------------

def invitations_url(org):
    return f"/api/v1/organizations/{org.pk}/invitations/"


def invite(client, org, **payload):
    return client.post(invitations_url(org), payload)


def test_admin_invites_by_email_and_only_the_hash_is_stored(client_for, team):
    response = invite(client_for(team["admin"]), team["org"], email="New.Person@Example.com", role="member")

    assert response.status_code == 201, response.content
    body = response.json()
    token = body["token"]
    assert len(token) >= 32
    assert body["status"] == "open"
    assert body["email"] == "new.person@example.com"
    invitation = Invitation.objects.get(pk=body["id"])
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {invitation.token_hash, invitation.email}
    listed = client_for(team["admin"]).get(invitations_url(team["org"])).json()
    assert [row["id"] for row in listed] == [invitation.pk]
    assert "token" not in listed[0]


def test_an_existing_user_is_notified_without_the_code(client_for, team):
    invitee = UserFactory(email="known@example.com")
    token = invite(client_for(team["admin"]), team["org"], email="known@example.com").json()["token"]
    notice = Notification.objects.get(recipient=invitee, kind="organization_invitation")
    assert team["org"].name in notice.title
    assert token not in notice.body
    assert token not in str(notice.data)


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_members_and_outsiders_cannot_invite(client_for, team, who):
    assert_error_shape(invite(client_for(team[who]), team["org"], email="x@example.com"), 403)
    assert_error_shape(client_for(team[who]).get(invitations_url(team["org"])), 403)
    assert not Invitation.objects.exists()


def test_anonymous_cannot_invite(api, team):
    assert_error_shape(invite(api, team["org"], email="x@example.com"), 401)


def test_staff_sees_invitations_but_does_not_invite_for_an_org(client_for, team, staff):
    assert client_for(staff).get(invitations_url(team["org"])).status_code == 200
    assert_error_shape(invite(client_for(staff), team["org"], email="x@example.com"), 403)


def test_only_an_owner_invites_an_owner(client_for, team):
    assert_error_shape(invite(client_for(team["admin"]), team["org"], email="x@example.com", role="owner"), 403)
    assert invite(client_for(team["owner"]), team["org"], email="x@example.com", role="owner").status_code == 201


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({}, 400, "non_field_errors"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"phone": "12345"}, 400, "phone"),
        ({"email": "x@example.com", "role": "king"}, 400, "role"),
        ({"email": "x@example.com", "campus_role": "student"}, 400, "campus_role"),  # not a school
    ],
)
def test_bad_invitations_are_refused(client_for, team, payload, status, field):
    body = assert_error_shape(invite(client_for(team["admin"]), team["org"], **payload), status)
    assert field in body["errors"], body


def test_inviting_a_member_again_is_a_conflict(client_for, team):
    response = invite(client_for(team["admin"]), team["org"], email=team["member"].email)
    assert_error_shape(response, 409, "already_member")


@pytest.fixture
def invitation(client_for, team):
    """An open invitation for invitee@example.com, and its code."""
    response = invite(client_for(team["admin"]), team["org"], email="invitee@example.com", role="admin")
    return Invitation.objects.get(pk=response.json()["id"]), response.json()["token"]


def accept(client, token):
    return client.post("/api/v1/invitations/accept", {"token": token})


def test_the_addressee_accepts_and_gets_the_invited_role(client_for, team, invitation):
    invitee = UserFactory(email="Invitee@example.com")
    _, token = invitation

    response = accept(client_for(invitee), token)

    assert response.status_code == 201, response.content
    assert response.json()["role"] == "admin"
    assert role_of(team["org"], invitee) == Role.ADMIN
    stored = Invitation.objects.get()
    assert stored.status == "accepted"
    assert stored.accepted_by == invitee
    assert_error_shape(accept(client_for(invitee), token), 409, "invitation_closed")


def test_an_invitation_by_phone_is_accepted_by_that_phone(client_for, team):
    token = invite(client_for(team["admin"]), team["org"], phone="139 0013 9000").json()["token"]
    invitee = UserFactory(email=None, phone="+8613900139000")
    assert accept(client_for(invitee), token).status_code == 201


def test_someone_else_cannot_use_the_code(client_for, team, invitation):
    _, token = invitation
    body = assert_error_shape(accept(client_for(team["outsider"]), token), 403, "permission_denied")
    assert "another e-mail address" in body["detail"]
    assert not Membership.objects.filter(user=team["outsider"]).exists()
    assert Invitation.objects.get().status == "open"


def test_an_expired_invitation_is_a_conflict(client_for, invitation):
    stored, token = invitation
    Invitation.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    body = assert_error_shape(accept(client_for(UserFactory(email="invitee@example.com")), token), 409)
    assert body["detail"] == "This invitation is expired."


def test_a_revoked_invitation_is_a_conflict(client_for, team, invitation):
    stored, token = invitation
    revoke_url = f"{invitations_url(team['org'])}{stored.pk}/revoke/"
    assert_error_shape(client_for(team["member"]).post(revoke_url), 403)
    response = client_for(team["admin"]).post(revoke_url)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    assert_error_shape(client_for(team["admin"]).post(revoke_url), 409, "invitation_closed")

    body = assert_error_shape(accept(client_for(UserFactory(email="invitee@example.com")), token), 409)
    assert body["detail"] == "This invitation is revoked."


def test_revoking_an_unknown_invitation_is_404(client_for, team):
    assert_error_shape(client_for(team["admin"]).post(f"{invitations_url(team['org'])}999999/revoke/"), 404)


def test_a_wrong_code_is_400_and_anonymous_is_401(api, client_for, user, invitation):
    body = assert_error_shape(accept(client_for(user), "not-a-real-code"), 400, "invalid_invitation")
    assert "token" in body["errors"]
    _, token = invitation
    assert_error_shape(accept(api, token), 401)
