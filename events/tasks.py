from celery import shared_task

from events.bookings import expire_stall_offers as expire_due_offers
from events.schedule import advance_due_events


@shared_task
def advance_events() -> dict:
    """Periodic (see CELERY_BEAT_SCHEDULE): draw due lotteries, start and finish events on time."""
    return advance_due_events()


@shared_task
def expire_stall_offers() -> int:
    """Periodic: stall offers not confirmed in time go to the next person on the waitlist."""
    return expire_due_offers()


@shared_task
def notify_ring_proposals(run_id: int) -> int:
    """After a matching run commits: tell the members of its rings (one notification each)."""
    from events.swaps import notify_proposals

    return notify_proposals(run_id)
