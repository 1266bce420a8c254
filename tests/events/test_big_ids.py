"""Ids beyond 64 bits in a path or a body are a 4xx, never a 500."""
import pytest

from tests.events.factories import published, student, teacher
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HUGE = "9" * 25


@pytest.mark.parametrize("path", [
    f"/api/v1/events/{HUGE}/", f"/api/v1/events/{HUGE}/stalls", f"/api/v1/events/{HUGE}/calendar.ics",
    f"/api/v1/events/organizations/{HUGE}/calendar.ics", f"/api/v1/events/corners/{HUGE}/",
    f"/api/v1/events/credits/{HUGE}",
])
def test_huge_ids_in_paths_are_404(client_for, path):
    assert client_for(UserFactory()).get(path).status_code == 404


def test_huge_ids_in_nested_paths_and_bodies_are_4xx(client_for, community):
    event = published(stalls=1, organization=community)
    client = client_for(UserFactory())
    assert client.post(f"/api/v1/events/{event.pk}/bookings/{HUGE}/cancel", {}, format="json").status_code == 404
    assert client.get(f"/api/v1/events/{event.pk}/passes/{HUGE}/qr.png").status_code == 404
    assert client.post(f"/api/v1/events/{event.pk}/listings", {"listing": int(HUGE)}, format="json").status_code == 400
    assert client.post(f"/api/v1/events/{event.pk}/bookings", {"stall": int(HUGE)}, format="json").status_code == 400
    assert client.get("/api/v1/events/", {"organization": HUGE}).status_code == 400
    assert client.get("/api/v1/search/listings", {"event": HUGE}).status_code == 400


def test_huge_ids_in_query_parameters_are_400(client_for, school):
    pupil, keeper = student(school), teacher(school)
    assert client_for(pupil).get("/api/v1/events/corners/", {"organization": HUGE}).status_code == 400
    assert client_for(keeper).get(f"/api/v1/events/credits/{school.pk}", {"member": HUGE}).status_code == 400
