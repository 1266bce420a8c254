from celery import shared_task

from certification.services import expire_due_certificates


@shared_task
def expire_certificates() -> int:
    """Daily: expire certificates past their last valid day (and suspend the listings relying on them)."""
    return expire_due_certificates()
