"""What the platform does on its own as time passes (periodic task `events.tasks.advance_events`):
draw lotteries whose request window has closed, start events at their start, finish them at
their end. Each move is its own transaction through the same services an organizer uses, with
actor None; an event an organizer moved meanwhile is skipped."""
import logging

from django.utils import timezone

from events import bookings, services
from events.models import BookingMode, Event, EventState
from marketplace.errors import DomainError

logger = logging.getLogger("events.schedule")


def _each(events, move) -> int:
    done = 0
    for event in events:
        try:
            move(event, actor=None)
            done += 1
        except DomainError as refusal:
            logger.info("event %s left as it is: %s", event.pk, refusal.message)
    return done


def advance_due_events(now=None) -> dict:
    now = now or timezone.now()
    published = Event.objects.filter(state=EventState.PUBLISHED)
    drawn = _each(published.filter(booking_mode=BookingMode.LOTTERY, lottery_drawn_at__isnull=True,
                                   registration_closes_at__lte=now).order_by("id"), bookings.draw_lottery)
    started = _each(published.filter(starts_at__lte=now).order_by("id"), services.start_event)
    finished = _each(Event.objects.filter(state=EventState.ONGOING, ends_at__lte=now).order_by("id"),
                     services.finish_event)
    return {"drawn": drawn, "started": started, "finished": finished}
