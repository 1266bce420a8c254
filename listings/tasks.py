from celery import shared_task

from listings.services import expire_due_listings


@shared_task
def expire_listings() -> int:
    """Periodic (see CELERY_BEAT_SCHEDULE): expire active listings older than LISTING_TTL_DAYS."""
    return expire_due_listings()
