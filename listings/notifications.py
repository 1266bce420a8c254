"""Notification kinds sent by the listings app."""
from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

register(
    "listing_suspended",
    title=_("Your listing “%(title)s” was suspended"),
    body=_("Your listing “%(title)s” is hidden from buyers: %(reason)s"),
)
register(
    "listing_reinstated",
    title=_("Your listing “%(title)s” is back"),
    body=_("Your listing “%(title)s” is no longer suspended. It is now %(state)s."),
)
register(
    "listing_expired",
    title=_("Your listing “%(title)s” expired"),
    body=_("Your listing “%(title)s” was online for %(days)s days and has expired. Reopen it as a draft to publish it again."),
)
