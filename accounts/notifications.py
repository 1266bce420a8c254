"""Notification kinds and account mails sent by the accounts app."""
from django.utils.translation import gettext_lazy as _

from notifications.kinds import register
from notifications.mail import register_mail

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

# Account mails (notifications.mail): sent to an address, never kept in-app nor turned off.
register_mail(
    "confirm_registration",
    subject=_("Confirm your registration"),
    body=_(
        "To finish signing up with this address, open this link and enter the password you chose: %(url)s\n"
        "An app may ask for this confirmation code instead: %(token)s\n"
        "The link expires in %(days)s days. If you did not sign up, ignore this message: "
        "no account is made without it."
    ),
)
register_mail(
    "account_exists",
    subject=_("You already have an account"),
    body=_(
        "Someone, perhaps you, tried to sign up with this address, but it already has an account. "
        "Sign in with it; if you forgot the password, choose a new one here: %(url)s\n"
        "If it was not you, ignore this message: nothing was changed."
    ),
)
register_mail(
    "password_reset",
    subject=_("Reset your password"),
    body=_(
        "Open this link to choose a new password: %(url)s\n"
        "The link works once and expires in a few hours. If you did not ask for it, ignore this message."
    ),
)
