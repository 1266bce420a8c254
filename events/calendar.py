"""iCalendar feeds (RFC 5545) of events, made with the `icalendar` library.

Each event is a VEVENT with a stable UID, its start and end in UTC, the venue as LOCATION and
GEO, STATUS CANCELLED once cancelled and a SEQUENCE bumped on every change, so that subscribed
calendars update the entry instead of adding another.
"""
from django.conf import settings
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from events.models import EventState

STATUS = {EventState.PUBLISHED: "CONFIRMED", EventState.ONGOING: "CONFIRMED", EventState.FINISHED: "CONFIRMED",
          EventState.CANCELLED: "CANCELLED"}


def uid(event) -> str:
    host = settings.PUBLIC_BASE_URL.split("://", 1)[-1].split("/", 1)[0]
    return f"event-{event.pk}@{host}"


def _entry(event) -> CalendarEvent:
    entry = CalendarEvent()
    entry.add("uid", uid(event))
    entry.add("dtstamp", timezone.now())
    entry.add("last-modified", event.updated_at)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    if event.description:
        entry.add("description", event.description)
    entry.add("location", event.venue_address)
    entry.add("geo", (float(event.latitude), float(event.longitude)))
    entry.add("url", f"{settings.PUBLIC_BASE_URL}/api/v1/events/{event.pk}/")
    entry.add("status", STATUS.get(event.state, "TENTATIVE"))
    entry.add("sequence", event.sequence)
    entry.add("categories", [event.get_kind_display()])
    entry.add("x-organization", event.organization.name)
    return entry


def render(events, *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//marketplace//events//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_entry(event))
    return calendar.to_ical()
