"""Organizations: registration, visibility, the verification lifecycle and its audit trail."""
import pytest

from accounts.models import (
    Membership,
    Organization,
    OrganizationKind,
    OrganizationVerificationEvent,
    Role,
    VerificationStatus,
)
from notifications.models import Notification
from tests.factories import OrganizationFactory, UserFactory, credit_code, member_of
from tests.helpers import assert_error_shape

TENCENT = "91440300708461136T"


def org_payload(**overrides):
    return {
        "kind": "remanufacturer",
        "name": "粤再生",
        "legal_name": "广东粤再生再制造有限公司",
        "credit_code": TENCENT.lower(),
        "address": "广州市番禺区再制造产业园8号",
        "city": "广州市",
        "contact_name": "黄志强",
        "contact_phone": "020-12345678",
        **overrides,
    }


def url(org, action=""):
    return f"/api/v1/organizations/{org.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def pending_org(db):
    org = OrganizationFactory(verification_status=VerificationStatus.PENDING)
    return org


@pytest.fixture
def roles(pending_org):
    """Users holding each role in `pending_org`, plus an owner of another organization."""
    return {
        "member": member_of(pending_org, Role.MEMBER),
        "admin": member_of(pending_org, Role.ADMIN, language="zh-hans"),
        "owner": member_of(pending_org, Role.OWNER),
        "other_org_owner": member_of(OrganizationFactory(), Role.OWNER),
    }


# Registration -------------------------------------------------------------------------------------

def test_anonymous_cannot_register_an_organization(api, db):
    assert_error_shape(api.post("/api/v1/organizations/", org_payload()), 401, "not_authenticated")
    assert not Organization.objects.exists()


def test_registering_makes_a_pending_org_with_the_creator_as_owner(client_for, user):
    response = client_for(user).post(
        "/api/v1/organizations/", {**org_payload(), "verification_status": "verified", "verified_at": "2020-01-01"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["verification_status"] == "pending"
    assert body["verified_at"] is None
    assert body["credit_code"] == TENCENT
    org = Organization.objects.get(pk=body["id"])
    assert org.created_by == user
    assert Membership.objects.get(organization=org).user == user
    assert Membership.objects.get(organization=org).role == Role.OWNER
    event = org.verification_events.get()
    assert (event.actor, event.from_status, event.to_status) == (user, "", "pending")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"credit_code": "91440300708461136A"}, "credit_code"),
        ({"credit_code": "9144030070846113"}, "credit_code"),
        ({"credit_code": "91440300708461O36T"}, "credit_code"),
        ({"kind": "bank"}, "kind"),
        ({"name": ""}, "name"),
        ({"name": "名" * 121}, "name"),
        ({"contact_email": "nope"}, "contact_email"),
    ],
)
def test_registration_refuses_bad_details(client_for, user, overrides, field):
    body = assert_error_shape(
        client_for(user).post("/api/v1/organizations/", org_payload(**overrides)), 400, "validation_error"
    )
    assert field in body["errors"], body
    assert not Organization.objects.exists()


def test_a_credit_code_is_registered_once(client_for, user):
    OrganizationFactory(credit_code=TENCENT)
    body = assert_error_shape(client_for(user).post("/api/v1/organizations/", org_payload()), 400)
    assert "credit_code" in body["errors"]


# Visibility ---------------------------------------------------------------------------------------

def test_pending_orgs_are_seen_by_their_members_and_staff_only(api, client_for, pending_org, roles, staff):
    assert_error_shape(api.get(url(pending_org)), 404)
    assert_error_shape(client_for(roles["other_org_owner"]).get(url(pending_org)), 404)
    for viewer in (roles["member"], roles["owner"], staff):
        assert client_for(viewer).get(url(pending_org)).status_code == 200


def test_list_shows_verified_orgs_and_the_viewers_own(api, client_for, pending_org, roles):
    verified = OrganizationFactory()
    rejected = OrganizationFactory(verification_status=VerificationStatus.REJECTED)

    anonymous_ids = {row["id"] for row in api.get("/api/v1/organizations/").json()["results"]}
    member_rows = client_for(roles["member"]).get("/api/v1/organizations/").json()["results"]

    assert verified.pk in anonymous_ids
    assert pending_org.pk not in anonymous_ids
    assert rejected.pk not in anonymous_ids
    assert {row["id"]: row["my_role"] for row in member_rows}[pending_org.pk] == "member"
    mine = client_for(roles["member"]).get("/api/v1/organizations/?mine=true").json()["results"]
    assert [row["id"] for row in mine] == [pending_org.pk]


def test_list_filters_by_kind_and_refuses_an_unknown_kind(api, db):
    school = OrganizationFactory(kind=OrganizationKind.SCHOOL)
    OrganizationFactory(kind=OrganizationKind.MERCHANT)
    rows = api.get("/api/v1/organizations/?kind=school").json()["results"]
    assert [row["id"] for row in rows] == [school.pk]
    assert_error_shape(api.get("/api/v1/organizations/?kind=bank"), 400, "validation_error")


def test_organization_list_query_budget(client_for, user, django_assert_max_num_queries):
    for _ in range(15):
        member_of(OrganizationFactory(), Role.ADMIN)
    OrganizationFactory.create_batch(5, verification_status=VerificationStatus.PENDING)
    client = client_for(user)
    with django_assert_max_num_queries(4):  # count, page, my roles, my org ids
        response = client.get("/api/v1/organizations/")
    assert response.json()["count"] == 15


# Verification -------------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["verify", "reject"])
def test_only_staff_verify_or_reject(api, client_for, pending_org, roles, action):
    payload = {"reason": "Documents look fine"}
    assert_error_shape(api.post(url(pending_org, action), payload), 401)
    for who in ("member", "admin", "owner", "other_org_owner"):
        assert_error_shape(client_for(roles[who]).post(url(pending_org, action), payload), 403, "permission_denied")
    pending_org.refresh_from_db()
    assert pending_org.verification_status == VerificationStatus.PENDING
    assert pending_org.verification_events.count() == 0


def test_staff_verifies_a_pending_org_and_its_admins_are_told(client_for, pending_org, roles, staff):
    response = client_for(staff).post(url(pending_org, "verify"), {"reason": "营业执照已核对"})

    assert response.status_code == 200, response.content
    assert response.json()["verification_status"] == "verified"
    pending_org.refresh_from_db()
    assert pending_org.is_verified
    assert pending_org.verified_at is not None
    event = pending_org.verification_events.get()
    assert (event.actor, event.from_status, event.to_status, event.reason) == (
        staff, "pending", "verified", "营业执照已核对"
    )
    told = set(Notification.objects.filter(kind="organization_verified").values_list("recipient", flat=True))
    assert told == {roles["admin"].pk, roles["owner"].pk}
    chinese = Notification.objects.get(kind="organization_verified", recipient=roles["admin"])
    assert chinese.title == f"{pending_org.name} 已通过认证"
    assert "商户" in chinese.body  # the kind in the recipient's language, not the staff member's
    english = Notification.objects.get(kind="organization_verified", recipient=roles["owner"])
    assert english.title == f"{pending_org.name} is verified"
    assert "Merchant" in english.body


def test_reject_needs_a_reason(client_for, pending_org, staff):
    for payload in ({}, {"reason": ""}, {"reason": "   "}):
        body = assert_error_shape(client_for(staff).post(url(pending_org, "reject"), payload), 400)
        assert "reason" in body["errors"]
    pending_org.refresh_from_db()
    assert pending_org.verification_status == VerificationStatus.PENDING


def test_rejection_records_the_reason_and_tells_the_admins(client_for, pending_org, roles, staff):
    response = client_for(staff).post(url(pending_org, "reject"), {"reason": "  Credit code belongs to another firm "})

    assert response.status_code == 200, response.content
    pending_org.refresh_from_db()
    assert pending_org.verification_status == VerificationStatus.REJECTED
    assert pending_org.rejection_reason == "Credit code belongs to another firm"
    event = pending_org.verification_events.get()
    assert (event.actor, event.to_status, event.reason) == (staff, "rejected", "Credit code belongs to another firm")
    notice = Notification.objects.get(kind="organization_rejected", recipient=roles["owner"])
    assert "Credit code belongs to another firm" in notice.body
    assert not Notification.objects.filter(recipient=roles["member"]).exists()


def test_verifying_twice_or_rejecting_a_verified_org_is_a_conflict(db, client_for, staff):
    org = OrganizationFactory()  # verified
    assert_error_shape(client_for(staff).post(url(org, "verify"), {}), 409, "invalid_transition")
    assert_error_shape(client_for(staff).post(url(org, "reject"), {"reason": "x"}), 409, "invalid_transition")
    assert org.verification_events.count() == 0


def test_resubmit_after_rejection(api, client_for, pending_org, roles, staff):
    client_for(staff).post(url(pending_org, "reject"), {"reason": "Blurry licence"})

    assert_error_shape(api.post(url(pending_org, "resubmit")), 401)
    assert_error_shape(client_for(roles["other_org_owner"]).post(url(pending_org, "resubmit")), 404)
    assert_error_shape(client_for(roles["member"]).post(url(pending_org, "resubmit")), 403)
    response = client_for(roles["admin"]).post(url(pending_org, "resubmit"))

    assert response.status_code == 200, response.content
    pending_org.refresh_from_db()
    assert pending_org.verification_status == VerificationStatus.PENDING
    assert pending_org.rejection_reason == ""
    last = pending_org.verification_events.last()
    assert (last.actor, last.from_status, last.to_status) == (roles["admin"], "rejected", "pending")
    assert client_for(staff).post(url(pending_org, "verify")).status_code == 200


@pytest.mark.parametrize("status", [VerificationStatus.PENDING, VerificationStatus.VERIFIED])
def test_only_a_rejected_org_can_be_resubmitted(db, client_for, status):
    org = OrganizationFactory(verification_status=status)
    owner = member_of(org, Role.OWNER)
    assert_error_shape(client_for(owner).post(url(org, "resubmit")), 409, "invalid_transition")
    org.refresh_from_db()
    assert org.verification_status == status


# Editing ------------------------------------------------------------------------------------------

def test_changing_the_identity_of_a_verified_org_sends_it_back_to_pending(db, client_for):
    org = OrganizationFactory()
    admin = member_of(org, Role.ADMIN)

    response = client_for(admin).patch(url(org), {"legal_name": "新的法定名称有限公司"})

    assert response.status_code == 200, response.content
    assert response.json()["verification_status"] == "pending"
    org.refresh_from_db()
    assert org.verification_status == VerificationStatus.PENDING
    assert org.verified_at is None
    event = org.verification_events.get()
    assert (event.actor, event.from_status, event.to_status) == (admin, "verified", "pending")


def test_changing_the_credit_code_also_needs_reverification(db, client_for):
    org = OrganizationFactory()
    owner = member_of(org, Role.OWNER)
    response = client_for(owner).patch(url(org), {"credit_code": credit_code(987654)})
    assert response.json()["verification_status"] == "pending"


def test_other_edits_keep_the_verification(db, client_for):
    org = OrganizationFactory()
    admin = member_of(org, Role.ADMIN)
    response = client_for(admin).patch(url(org), {"description": "收旧件，卖再制造件", "legal_name": org.legal_name})
    assert response.status_code == 200
    org.refresh_from_db()
    assert org.is_verified
    assert org.description == "收旧件，卖再制造件"
    assert org.verification_events.count() == 0


def test_only_admins_and_owners_edit(db, api, client_for, staff):
    org = OrganizationFactory()
    member = member_of(org, Role.MEMBER)
    outsider = UserFactory()
    assert_error_shape(api.patch(url(org), {"name": "x"}), 401)
    for who in (member, outsider, staff):
        assert_error_shape(client_for(who).patch(url(org), {"name": "x"}), 403)
    org.refresh_from_db()
    assert org.name != "x"


def test_status_and_kind_cannot_be_changed_by_editing(client_for, pending_org, roles):
    owner = client_for(roles["owner"])
    owner.patch(url(pending_org), {"verification_status": "verified", "rejection_reason": "x"})
    pending_org.refresh_from_db()
    assert pending_org.verification_status == VerificationStatus.PENDING
    body = assert_error_shape(owner.patch(url(pending_org), {"kind": "school"}), 400)
    assert "kind" in body["errors"]


def test_organizations_cannot_be_deleted_through_the_api(client_for, pending_org, roles, staff):
    assert_error_shape(client_for(roles["owner"]).delete(url(pending_org)), 405, "method_not_allowed")
    assert_error_shape(client_for(staff).delete(url(pending_org)), 405)


# Audit trail --------------------------------------------------------------------------------------

def test_verification_events_are_for_admins_owners_and_staff(api, client_for, pending_org, roles, staff):
    client_for(staff).post(url(pending_org, "reject"), {"reason": "Blurry licence"})
    events_url = url(pending_org, "verification-events")

    assert_error_shape(api.get(events_url), 401)
    assert_error_shape(client_for(roles["member"]).get(events_url), 403)
    assert_error_shape(client_for(roles["other_org_owner"]).get(events_url), 404)
    for viewer in (roles["admin"], roles["owner"], staff):
        rows = client_for(viewer).get(events_url).json()
        assert [(row["to_status"], row["reason"]) for row in rows] == [("rejected", "Blurry licence")]
        assert rows[0]["actor"]["id"] == staff.pk
        assert "email" not in rows[0]["actor"]


def test_every_status_change_leaves_one_event(client_for, user, staff):
    org_id = client_for(user).post("/api/v1/organizations/", org_payload()).json()["id"]
    org = Organization.objects.get(pk=org_id)
    client_for(staff).post(url(org, "reject"), {"reason": "Blurry licence"})
    client_for(user).post(url(org, "resubmit"))
    client_for(staff).post(url(org, "verify"))
    client_for(user).patch(url(org), {"credit_code": credit_code(4242)})

    steps = list(OrganizationVerificationEvent.objects.filter(organization=org).values_list("from_status", "to_status"))
    assert steps == [
        ("", "pending"), ("pending", "rejected"), ("rejected", "pending"), ("pending", "verified"), ("verified", "pending")
    ]


def test_the_creator_sees_their_owner_role_in_the_creation_answer(client_for, db):
    from tests.factories import UserFactory, credit_code

    response = client_for(UserFactory()).post(
        "/api/v1/organizations/",
        {"kind": "merchant", "name": "旧物小铺", "legal_name": "旧物小铺有限公司", "credit_code": credit_code(987654),
         "address": "南宁市青秀区民族大道1号", "contact_name": "韦先生", "contact_phone": "0771-1234567"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["my_role"] == "owner"
