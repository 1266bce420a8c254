"""iCalendar feeds parsed back with `icalendar`, and upcoming events near a point."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from icalendar import Calendar

from events.models import Visibility
from tests.events.factories import EventFactory, SchoolFactory, published, student
from tests.factories import UserFactory
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db


def parse(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_an_event_as_ics_round_trips_through_icalendar(client_for, community):
    event = published(organization=community, title_en="Spring flea market", title_zh="春季跳蚤市场")
    calendar = parse(client_for(None).get(f"/api/v1/events/{event.pk}/calendar.ics"))
    entries = list(calendar.walk("VEVENT"))
    assert len(entries) == 1
    entry = entries[0]
    assert str(entry["summary"]) == "Spring flea market"
    # iCalendar has whole seconds.
    assert entry.decoded("dtstart") == event.starts_at.replace(microsecond=0)
    assert entry.decoded("dtend") == event.ends_at.replace(microsecond=0)
    assert entry.decoded("dtstart").utcoffset() == timedelta(0)
    assert str(entry["location"]) == event.venue_address
    assert str(entry["status"]) == "CONFIRMED"
    assert str(entry["uid"]).startswith(f"event-{event.pk}@")
    geo = entry["geo"]
    assert (round(geo.latitude, 4), round(geo.longitude, 4)) == (23.134, 113.33)


def test_a_cancelled_event_stays_in_the_feed_as_cancelled_with_a_higher_sequence(client_for, community, organizer):
    event = published(organization=community)
    before = parse(client_for(None).get(f"/api/v1/events/{event.pk}/calendar.ics")).walk("VEVENT")[0]
    client_for(organizer).post(f"/api/v1/events/{event.pk}/cancel", {"reason": "暴雨"}, format="json")
    after = parse(client_for(None).get(f"/api/v1/events/{event.pk}/calendar.ics")).walk("VEVENT")[0]
    assert str(after["status"]) == "CANCELLED"
    assert int(after["sequence"]) > int(before["sequence"])
    assert str(after["uid"]) == str(before["uid"])


def test_the_organization_feed_lists_its_events_but_no_drafts_nor_others_members_only_ones(client_for, community):
    shown = [published(organization=community), EventFactory(organization=community, state="finished")]
    EventFactory(organization=community)  # a draft
    published(organization=SchoolFactory())  # another organizer's
    calendar = parse(client_for(None).get(f"/api/v1/events/organizations/{community.pk}/calendar.ics"))
    assert sorted(str(entry["uid"]) for entry in calendar.walk("VEVENT")) == sorted(
        f"event-{event.pk}@127.0.0.1:8000" for event in shown)
    assert str(calendar["x-wr-calname"]) == community.name


def test_members_only_events_appear_in_a_feed_for_members_only(client_for):
    school = SchoolFactory()
    event = published(organization=school, visibility=Visibility.MEMBERS)
    path = f"/api/v1/events/organizations/{school.pk}/calendar.ics"
    assert parse(client_for(None).get(path)).walk("VEVENT") == []
    assert len(parse(client_for(student(school)).get(path)).walk("VEVENT")) == 1
    assert_error_shape(client_for(UserFactory()).get(f"/api/v1/events/{event.pk}/calendar.ics"), 404)
    assert_error_shape(client_for(None).get("/api/v1/events/organizations/999999/calendar.ics"), 404)


def place(community, name, latitude, longitude, **fields):
    return published(organization=community, title_en=name, latitude=Decimal(latitude), longitude=Decimal(longitude),
                     **fields)


def test_upcoming_events_near_a_point_are_sorted_by_distance(client_for, community):
    near = place(community, "Tianhe", "23.1340", "113.3300")
    nearer = place(community, "Next door", "23.1290", "113.3260")
    place(community, "Shenzhen", "22.5431", "114.0579")  # about 100 km away
    place(community, "Past", "23.1300", "113.3300", starts_at=timezone.now() - timedelta(days=3),
          registration_opens_at=timezone.now() - timedelta(days=9), registration_closes_at=timezone.now() - timedelta(days=4))
    body = client_for(None).get("/api/v1/events/", {"near": "23.1291,113.3262", "radius_km": 5, "upcoming": "true"}).json()
    assert [row["title"] for row in body["results"]] == ["Next door", "Tianhe"]
    distances = [row["distance_km"] for row in body["results"]]
    assert distances[0] < 0.1 and 0.5 < distances[1] < 1.0
    assert nearer.pk == body["results"][0]["id"] and near.pk == body["results"][1]["id"]


def test_near_filters_by_kind_and_dates(client_for, community):
    soon = place(community, "Soon", "23.1300", "113.3300", kind="trading_day")
    place(community, "Later", "23.1300", "113.3300", kind="trading_day", starts_at=timezone.now() + timedelta(days=40),
          registration_closes_at=timezone.now() + timedelta(days=39))
    place(community, "Market", "23.1300", "113.3300")
    params = {"near": "23.13,113.33", "kind": "trading_day",
              "starts_before": (timezone.now() + timedelta(days=20)).isoformat()}
    titles = [row["title"] for row in client_for(None).get("/api/v1/events/", params).json()["results"]]
    assert titles == ["Soon"] and soon.title_en == "Soon"


@pytest.mark.parametrize("params, field", [
    ({"near": "north"}, "near"), ({"near": "91,10"}, "near"), ({"near": "23,113", "radius_km": 0}, "radius_km"),
    ({"near": "23,113", "radius_km": 900}, "radius_km"), ({"kind": "rave"}, "kind"),
])
def test_bad_discovery_parameters_are_400(client_for, params, field):
    body = assert_error_shape(client_for(None).get("/api/v1/events/", params), 400)
    assert field in body["errors"]


def test_a_radius_without_a_point_is_400(client_for):
    body = assert_error_shape(client_for(None).get("/api/v1/events/", {"radius_km": 5}), 400)
    assert "radius_km" in body["errors"]
