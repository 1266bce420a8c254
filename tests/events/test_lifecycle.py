"""The event lifecycle through the API: draft -> published -> ongoing -> finished, published -> cancelled."""
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import OrganizationKind, Role, VerificationStatus
from events import services
from events.models import Event, EventAuditRecord, Rsvp
from marketplace.errors import NotFound
from notifications.models import Notification
from tests.events.factories import EventFactory, event_payload, member, published, with_stalls
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db


def moves(event):
    return list(EventAuditRecord.objects.filter(event=event, subject="event").exclude(action__in=["create", "update", "stall_plan"])
                .values_list("from_state", "to_state"))


def test_an_organizer_creates_a_draft_in_utc(client_for, organizer, community):
    payload = event_payload(community, starts_at="2031-05-01T09:00:00+08:00", ends_at="2031-05-01T14:00:00+08:00",
                            registration_closes_at="2031-04-30T20:00:00+08:00")
    response = client_for(organizer).post("/api/v1/events/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft"
    assert datetime.fromisoformat(body["starts_at"]) == datetime(2031, 5, 1, 1, 0, tzinfo=UTC)
    assert body["time_zone"] == "Asia/Shanghai"
    event = Event.objects.get(pk=body["id"])
    assert event.starts_at == datetime(2031, 5, 1, 1, 0, tzinfo=UTC)
    assert EventAuditRecord.objects.filter(event=event, action="create", actor=organizer).count() == 1


def test_the_whole_lifecycle_is_audited_one_record_per_move(client_for, organizer, community):
    event = with_stalls(EventFactory(organization=community), 3)
    client = client_for(organizer)
    assert client.post(f"/api/v1/events/{event.pk}/publish").json()["state"] == "published"
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() + timedelta(minutes=30),
                                             registration_closes_at=timezone.now() + timedelta(minutes=10))
    assert client.post(f"/api/v1/events/{event.pk}/start").json()["state"] == "ongoing"
    assert client.post(f"/api/v1/events/{event.pk}/finish").json()["state"] == "finished"
    assert moves(event) == [("draft", "published"), ("published", "ongoing"), ("ongoing", "finished")]
    history = client.get(f"/api/v1/events/{event.pk}/audit").json()
    assert [row["to_state"] for row in history if row["subject"] == "event" and row["to_state"]] == [
        "published", "ongoing", "finished"]


@pytest.mark.parametrize("state, action", [
    ("draft", "start"), ("draft", "finish"), ("draft", "cancel"), ("published", "finish"), ("published", "publish"),
    ("ongoing", "cancel"), ("ongoing", "publish"), ("finished", "start"), ("cancelled", "publish"),
    ("cancelled", "start"),
])
def test_illegal_moves_are_409_and_leave_no_audit(client_for, organizer, community, state, action):
    event = with_stalls(EventFactory(organization=community, state=state,
                                     starts_at=timezone.now() + timedelta(minutes=30),
                                     registration_closes_at=timezone.now() + timedelta(minutes=10)), 2)
    response = client_for(organizer).post(f"/api/v1/events/{event.pk}/{action}", {"reason": "天气"}, format="json")
    assert_error_shape(response, 409, "invalid_transition")
    event.refresh_from_db()
    assert event.state == state
    assert moves(event) == []


def test_cancelling_notifies_everyone_registered_once(client_for, organizer, community):
    event = published(stalls=2, organization=community)
    seller, visitor, both = UserFactory(), UserFactory(), UserFactory()
    for person in (seller, both):
        assert client_for(person).post(f"/api/v1/events/{event.pk}/bookings", {}, format="json").status_code == 201
    for person in (visitor, both):
        assert client_for(person).post(f"/api/v1/events/{event.pk}/rsvp").status_code == 201
    Rsvp.objects.create(event=event, user=UserFactory(), status="cancelled")  # changed their mind: not told
    mail.outbox.clear()
    response = client_for(organizer).post(f"/api/v1/events/{event.pk}/cancel", {"reason": "台风预警"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"
    told = Notification.objects.filter(kind="event_cancelled")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([seller.pk, visitor.pk, both.pk])
    assert all("台风预警" in note.body for note in told)
    assert moves(event) == [("published", "cancelled")]


def test_cancelling_needs_a_reason(client_for, organizer, community):
    event = published(organization=community)
    assert_error_shape(client_for(organizer).post(f"/api/v1/events/{event.pk}/cancel", {}, format="json"), 400,
                       "validation_error")


def test_a_flea_market_without_stalls_cannot_be_published(client_for, organizer, community):
    event = EventFactory(organization=community)
    assert_error_shape(client_for(organizer).post(f"/api/v1/events/{event.pk}/publish"), 409, "no_stall_plan")


def test_an_event_in_the_past_cannot_be_published(client_for, organizer, community):
    event = with_stalls(EventFactory(organization=community, starts_at=timezone.now() - timedelta(hours=1),
                                     registration_opens_at=timezone.now() - timedelta(days=2),
                                     registration_closes_at=timezone.now() - timedelta(days=1)), 1)
    assert_error_shape(client_for(organizer).post(f"/api/v1/events/{event.pk}/publish"), 409, "starts_in_the_past")


def test_starting_more_than_two_hours_early_is_refused(client_for, organizer, community):
    event = published(organization=community)
    assert_error_shape(client_for(organizer).post(f"/api/v1/events/{event.pk}/start"), 409, "too_early")


def test_a_lottery_publishes_the_commitment_of_its_seed(client_for, organizer, community):
    event = with_stalls(EventFactory(organization=community, booking_mode="lottery"), 2)
    body = client_for(organizer).post(f"/api/v1/events/{event.pk}/publish").json()
    event.refresh_from_db()
    assert len(body["lottery_commitment"]) == 64
    assert "lottery_seed" not in body
    import hashlib

    assert hashlib.sha256(event.lottery_seed.encode()).hexdigest() == body["lottery_commitment"]


@pytest.mark.parametrize("kind, org_kind, allowed", [
    ("flea_market", OrganizationKind.COMMUNITY, True),
    ("trading_day", OrganizationKind.MERCHANT, True),
    ("flea_market", OrganizationKind.SCHOOL, True),
    ("book_swap", OrganizationKind.SCHOOL, True),
    ("book_swap", OrganizationKind.COMMUNITY, False),
    ("flea_market", OrganizationKind.INSPECTION_AGENCY, False),
])
def test_who_organizes_what(client_for, kind, org_kind, allowed):
    org = OrganizationFactory(kind=org_kind)
    admin = member(org, Role.ADMIN)
    response = client_for(admin).post("/api/v1/events/", event_payload(org, kind=kind), format="json")
    assert (response.status_code == 201) == allowed, response.content
    if not allowed:
        assert response.status_code in (400, 403)


def test_an_unverified_organization_cannot_organize(client_for):
    org = OrganizationFactory(kind=OrganizationKind.COMMUNITY, verification_status=VerificationStatus.PENDING)
    admin = member(org, Role.OWNER)
    response = client_for(admin).post("/api/v1/events/", event_payload(org), format="json")
    assert_error_shape(response, 403, "organization_not_verified")


@pytest.mark.parametrize("overrides, field", [
    ({"ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
    ({"registration_closes_at": "2020-01-01T00:00:00Z"}, "registration_closes_at"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"visibility": "members"}, "visibility"),
    ({"latitude": "95"}, "latitude"),
    ({"capacity": 0}, "capacity"),
])
def test_bad_event_fields_are_400_with_the_field(client_for, organizer, community, overrides, field):
    response = client_for(organizer).post("/api/v1/events/", event_payload(community, **overrides), format="json")
    body = assert_error_shape(response, 400)
    assert field in body["errors"], body


def test_kind_and_booking_mode_are_fixed_once_published(client_for, organizer, community):
    event = published(stalls=1, organization=community)
    response = client_for(organizer).patch(f"/api/v1/events/{event.pk}/", {"booking_mode": "lottery"}, format="json")
    assert_error_shape(response, 409, "fixed_after_publish")
    response = client_for(organizer).patch(f"/api/v1/events/{event.pk}/", {"title_en": "Spring market"}, format="json")
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.title_en == "Spring market" and event.sequence == 1


def test_only_drafts_are_deleted(client_for, organizer, community):
    draft, live = EventFactory(organization=community), published(organization=community)
    assert client_for(organizer).delete(f"/api/v1/events/{draft.pk}/").status_code == 204
    assert_error_shape(client_for(organizer).delete(f"/api/v1/events/{live.pk}/"), 409, "not_a_draft")


def test_a_draft_deleted_by_another_request_is_not_found_when_it_is_published(organizer, community):
    """The view found the draft; before the publish locks it, another request deletes it: a 404, never a 500."""
    draft = with_stalls(EventFactory(organization=community), 2)
    services.delete_draft(Event.objects.get(pk=draft.pk), actor=organizer)
    with pytest.raises(NotFound):
        services.publish_event(draft, actor=organizer)
    assert not EventAuditRecord.objects.filter(event_id=draft.pk, action="published").exists()


def test_titles_follow_the_request_language(api, community):
    event = published(organization=community, title_zh="春季跳蚤市场", title_en="Spring flea market")
    assert api.get(f"/api/v1/events/{event.pk}/").json()["title"] == "Spring flea market"
    assert APIClient().get(f"/api/v1/events/{event.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["title"] == "春季跳蚤市场"


def test_people_are_told_in_their_own_language(client_for, organizer, community):
    event = published(organization=community, title_zh="春季跳蚤市场", title_en="Spring flea market")
    chinese, english = UserFactory(language="zh-hans"), UserFactory(language="en")
    for person in (chinese, english):
        client_for(person).post(f"/api/v1/events/{event.pk}/rsvp")
    client_for(organizer).post(f"/api/v1/events/{event.pk}/cancel", {"reason": "台风"}, format="json")
    assert Notification.objects.get(recipient=chinese, kind="event_cancelled").title == "春季跳蚤市场 已取消"
    assert Notification.objects.get(recipient=english, kind="event_cancelled").title == "Spring flea market is cancelled"
    chinese_client = APIClient()
    chinese_client.force_authenticate(chinese)
    refused = chinese_client.post(f"/api/v1/events/{event.pk}/rsvp", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.json()["detail"] == "只有已发布或正在进行的活动才能报名参加。"
