"""Who may see and do what: anonymous, resident, member, organizer, another organization, staff."""
import pytest

from accounts.models import Role
from events.models import EventState, Visibility
from tests.events.factories import (
    CommunityFactory,
    EventFactory,
    SchoolFactory,
    member,
    published,
    student,
    with_stalls,
)
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "resident", "member", "organizer", "other_org", "staff"]


@pytest.fixture
def people(db):
    """One person per role around one organizing community."""
    community = CommunityFactory()
    return community, {
        "anonymous": None,
        "resident": UserFactory(),
        "member": member(community, Role.MEMBER),
        "organizer": member(community, Role.ADMIN),
        "other_org": member(CommunityFactory(), Role.ADMIN),
        "staff": StaffFactory(),
    }


def status_for(client_for, person, method, path, data=None):
    client = client_for(person)
    return getattr(client, method)(path, data or {}, format="json").status_code


# Reading one event, by state and visibility: who gets 200 (everyone else 404).
@pytest.mark.parametrize("state, sees", [
    (EventState.DRAFT, {"member", "organizer", "staff"}),
    (EventState.PUBLISHED, set(ROLES)),
    (EventState.CANCELLED, set(ROLES)),
])
def test_who_sees_a_public_event(client_for, people, state, sees):
    community, persons = people
    event = EventFactory(organization=community, state=state)
    for role, person in persons.items():
        code = status_for(client_for, person, "get", f"/api/v1/events/{event.pk}/")
        assert code == (200 if role in sees else 404), (role, code)
        listed = [row["id"] for row in client_for(person).get("/api/v1/events/").json()["results"]]
        assert (event.pk in listed) == (role in sees), role


def test_members_only_campus_events_are_hidden_from_everyone_else(client_for):
    school = SchoolFactory()
    persons = {
        "anonymous": None, "resident": UserFactory(), "member": student(school),
        "organizer": member(school, Role.ADMIN), "other_org": member(SchoolFactory(), Role.ADMIN),
        "staff": StaffFactory(),
    }
    event = published(stalls=2, organization=school, visibility=Visibility.MEMBERS)
    for role, person in persons.items():
        sees = role in {"member", "organizer", "staff"}
        for path in (f"/api/v1/events/{event.pk}/", f"/api/v1/events/{event.pk}/stalls",
                     f"/api/v1/events/{event.pk}/calendar.ics", f"/api/v1/events/{event.pk}/lottery"):
            code = client_for(person).get(path).status_code
            assert code == (200 if sees else 404), (role, path, code)
        booking = client_for(person).post(f"/api/v1/events/{event.pk}/bookings", {}, format="json").status_code
        assert booking == (401 if person is None else 201 if sees else 404), role


@pytest.mark.parametrize("path, method, body, allowed", [
    ("publish", "post", None, {"organizer"}),
    ("cancel", "post", {"reason": "雨天"}, {"organizer"}),
    ("", "patch", {"title_en": "New"}, {"organizer"}),
    ("stalls", "put", {"stalls": [{"number": 1}, {"number": 2}]}, {"organizer"}),
    ("audit", "get", None, {"organizer", "staff"}),
    ("arrivals", "get", None, {"member", "organizer", "staff"}),
    ("bookings", "get", None, {"resident", "member", "organizer", "other_org", "staff"}),
])
def test_organizer_actions_matrix(client_for, people, path, method, body, allowed):
    community, persons = people
    for role, person in persons.items():
        event = with_stalls(EventFactory(organization=community, state=EventState.DRAFT if path == "publish"
                                         else EventState.PUBLISHED), 2)
        code = status_for(client_for, person, method, f"/api/v1/events/{event.pk}/{path}", body)
        if role in allowed:
            assert code == 200, (role, code)
        elif person is None:
            assert code == 401, (role, code)
        elif path == "publish" and role in ("resident", "other_org"):
            assert code == 404, (role, code)  # a draft is hidden from those outside the organizer
        else:
            assert code == 403, (role, code)


def test_creating_events_matrix(client_for, people):
    from tests.events.factories import event_payload

    community, persons = people
    for role, person in persons.items():
        code = status_for(client_for, person, "post", "/api/v1/events/", event_payload(community))
        expected = {"anonymous": 401, "organizer": 201}.get(role, 403)
        assert code == expected, (role, code)


def test_bookings_list_shows_everyone_to_the_organizer_and_own_to_others(client_for, people):
    community, persons = people
    event = published(stalls=3, organization=community)
    for role in ("resident", "other_org"):
        client_for(persons[role]).post(f"/api/v1/events/{event.pk}/bookings", {}, format="json")
    everyone = client_for(persons["organizer"]).get(f"/api/v1/events/{event.pk}/bookings").json()
    assert len(everyone) == 2
    own = client_for(persons["resident"]).get(f"/api/v1/events/{event.pk}/bookings").json()
    assert len(own) == 1 and own[0]["holder"] == str(persons["resident"].public_name)
    assert client_for(persons["member"]).get(f"/api/v1/events/{event.pk}/bookings").json() == []


def test_stall_holders_are_named_to_the_organizer_only(client_for, people):
    community, persons = people
    event = published(stalls=2, organization=community)
    client_for(persons["resident"]).post(f"/api/v1/events/{event.pk}/bookings", {}, format="json")
    public = client_for(None).get(f"/api/v1/events/{event.pk}/stalls").json()
    assert public[0]["booked"] is True and public[0]["holder"] is None
    organizer_view = client_for(persons["organizer"]).get(f"/api/v1/events/{event.pk}/stalls").json()
    assert organizer_view[0]["holder"] == str(persons["resident"].public_name)


def test_malformed_and_missing_ids_are_404(client_for, people):
    community, persons = people
    client = client_for(persons["organizer"])
    assert client.get("/api/v1/events/abc/").status_code == 404
    assert client.get("/api/v1/events/999999/").status_code == 404
    assert client.post("/api/v1/events/999999/publish").status_code == 404
    event = published(stalls=1, organization=community)
    assert client.post(f"/api/v1/events/{event.pk}/bookings/999999/cancel", {}, format="json").status_code == 404
