"""Tasks of the grading app (eager unless CELERY_BROKER_URL is set)."""
from celery import shared_task

from grading import services


@shared_task(name="grading.make_evidence_thumbnail")
def make_evidence_thumbnail(evidence_id: int) -> bool:
    """After an evidence photo was stored: make its thumbnail."""
    return services.make_evidence_thumbnail(evidence_id)


@shared_task(name="grading.make_pending_evidence_thumbnails")
def make_pending_evidence_thumbnails() -> int:
    """Periodic: evidence photos whose thumbnail task was lost get their thumbnail."""
    return services.make_pending_evidence_thumbnails()
