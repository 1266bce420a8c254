"""Notification kinds sent by the accounts app."""
from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

register(
    "organization_verified",
    title=_("%(organization)s is verified"),
    body=_("The platform verified %(organization)s. It can now act as a %(kind)s."),
)
register(
    "organization_rejected",
    title=_("%(organization)s was not verified"),
    body=_("The platform could not verify %(organization)s: %(reason)s. Correct the details and resubmit."),
)
register(
    "organization_invitation",
    title=_("Invitation to join %(organization)s"),
    body=_(
        "%(inviter)s invited you to join %(organization)s as %(role)s. "
        "Accept with the invitation code %(inviter)s gave you."
    ),
)
