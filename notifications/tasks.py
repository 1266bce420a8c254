from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation

from notifications.mail import render
from notifications.models import Notification


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one stored notification; idempotent (a notification is e-mailed at most once)."""
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None or notification.emailed_at or not notification.recipient.email:
        return False
    send_mail(
        # A header cannot hold line breaks (a title may quote a user-typed name).
        subject=" ".join(notification.title.split()),
        message=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[notification.recipient.email],
    )
    Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    return True


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_account_mail(code: str, to: str, language: str, context: dict) -> None:
    """Render an account mail (notifications.mail) in `language` and send it to `to`."""
    with translation.override(language):
        subject, body = render(code, context)
    send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[to])
