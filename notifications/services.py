"""notify(): the one way every app tells a user something.

It stores an in-app notification now (inside the caller's transaction, so a rollback removes
it) and e-mails it after the transaction commits, in the recipient's language, unless the
recipient turned e-mail off for that kind or has no e-mail address.
"""
from django.db import transaction
from django.utils import timezone, translation

from notifications.kinds import get_kind
from notifications.models import Notification, NotificationPreference


def _render(template, context):
    text = str(template)
    return text % context if context else text


def email_enabled(user, kind_code: str) -> bool:
    kind = get_kind(kind_code)
    preference = NotificationPreference.objects.filter(user=user, kind=kind_code).first()
    return preference.email_enabled if preference else kind.email


def notify(recipient, kind: str, context: dict | None = None) -> Notification:
    spec = get_kind(kind)
    context = {key: str(value) for key, value in (context or {}).items()}
    with translation.override(recipient.language or "zh-hans"):
        title = _render(spec.title, context)
        body = _render(spec.body, context)
    notification = Notification.objects.create(recipient=recipient, kind=kind, title=title[:200], body=body, data=context)
    if recipient.email and email_enabled(recipient, kind):
        from notifications.tasks import send_notification_email

        transaction.on_commit(lambda: send_notification_email.delay(notification.pk))
    return notification


def mark_read(user, notification_ids=None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given)."""
    queryset = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        queryset = queryset.filter(pk__in=notification_ids)
    return queryset.update(read_at=timezone.now())


def set_email_preference(user, kind: str, enabled: bool) -> NotificationPreference:
    get_kind(kind)
    preference, _ = NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"email_enabled": enabled})
    return preference
