"""notify(): the one way every app tells a user something.

It stores an in-app notification now (inside the caller's transaction, so a rollback removes
it) and e-mails it after the transaction commits, in the recipient's language, unless the
recipient turned e-mail off for that kind or has no e-mail address.
"""
from django.conf import settings
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
    """Store a notification for `recipient` and e-mail it once the caller's transaction commits.

    Context values may be lazy translations (e.g. a TextChoices label): they are rendered in the
    recipient's language, like the title and body.
    """
    spec = get_kind(kind)
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        context = {key: str(value) for key, value in (context or {}).items()}
        title = _render(spec.title, context)
        body = _render(spec.body, context)
    notification = Notification.objects.create(recipient=recipient, kind=kind, title=title[:200], body=body, data=context)
    if recipient.email and email_enabled(recipient, kind):
        from notifications.tasks import send_notification_email

        # robust: the action that notified has committed; a mail failure is logged, not raised at the user.
        transaction.on_commit(lambda: send_notification_email.delay(notification.pk), robust=True)
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
