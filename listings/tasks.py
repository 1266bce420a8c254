"""Tasks of the listings app (eager unless CELERY_BROKER_URL is set)."""
from celery import shared_task

from listings import services


@shared_task
def expire_listings() -> int:
    """Periodic (see CELERY_BEAT_SCHEDULE): expire active listings older than LISTING_TTL_DAYS."""
    return services.expire_due_listings()


@shared_task(name="listings.make_photo_derivatives")
def make_photo_derivatives(photo_id: int) -> bool:
    """After an upload committed: make the photo's display and thumbnail, then show it."""
    return services.make_photo_derivatives(photo_id)


@shared_task(name="listings.make_pending_photo_derivatives")
def make_pending_photo_derivatives() -> int:
    """Periodic: photos whose derivative task was lost (broker down, worker killed) are made ready."""
    return services.make_pending_photo_derivatives()


@shared_task(name="listings.reindex_category_listings")
def reindex_category_listings(category_id: int) -> int:
    """After a category was renamed or moved: report every active listing under it as changed."""
    return services.report_category_listings_changed(category_id)
