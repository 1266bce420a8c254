"""Notification kinds sent by the certification app."""
from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

register(
    "certificate_issued",
    title=_("Certificate %(number)s issued"),
    body=_("%(issuer)s issued certificate %(number)s to %(holder)s, valid until %(valid_until)s."),
)
register(
    "certificate_suspended",
    title=_("Certificate %(number)s suspended"),
    body=_("%(issuer)s suspended certificate %(number)s: %(reason)s. Listings that rely on it are suspended too."),
)
register(
    "certificate_reinstated",
    title=_("Certificate %(number)s reinstated"),
    body=_("%(issuer)s reinstated certificate %(number)s. Listings suspended only because of it are active again."),
)
register(
    "certificate_revoked",
    title=_("Certificate %(number)s revoked"),
    body=_("%(issuer)s revoked certificate %(number)s: %(reason)s. Listings that rely on it are suspended."),
)
register(
    "certificate_expired",
    title=_("Certificate %(number)s expired"),
    body=_("Certificate %(number)s expired on %(valid_until)s. Listings that rely on it are suspended until it is renewed."),
)
