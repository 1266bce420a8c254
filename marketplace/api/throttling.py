"""Throttles: anonymous requests bounded, writes limited; the sign-in scopes are in accounts.throttling.

Rates come from settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env THROTTLE_*) and are
read per request, so a settings override applies without a restart. A rate is
"<requests>/<period>" with the period in s, min, h or d (DRF reads only the first letter),
optionally with a count: "10/15min" is ten requests in fifteen minutes. Clients are told apart
by REMOTE_ADDR unless REST_FRAMEWORK["NUM_PROXIES"] says how many proxies to look through.

Counters live in the default cache, which every worker process must share (settings: CACHE_URL).
A counter is read and then written, as in DRF: requests in flight at the same moment may pass
a limit by their number.
"""
import re

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

_RATE = re.compile(r"^\s*(?P<count>\d+)\s*/\s*(?P<periods>\d*)\s*(?P<unit>[smhd])[a-z]*\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str | None) -> tuple[int | None, int | None]:
    """(requests, seconds) of a rate such as "100/min", "10/15min" or "20/h"; (None, None) for none."""
    if rate is None:
        return None, None
    match = _RATE.match(rate)
    if match is None:
        raise ImproperlyConfigured(f"Throttle rate {rate!r} is not of the form 10/min or 10/15min.")
    periods = int(match["periods"] or 1)
    return int(match["count"]), periods * _SECONDS[match["unit"]]


class _LiveRatesMixin:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def parse_rate(self, rate):
        return parse_rate(rate)

    def get_ident(self, request):
        # Unset NUM_PROXIES makes DRF trust X-Forwarded-For as sent by the client, so anyone could
        # dodge the limits by changing that header. Behind a proxy, set NUM_PROXIES to its depth.
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR")
        return super().get_ident(request)

    def wait(self):
        """Seconds until a request is allowed again: when the oldest request that fills the limit ages out."""
        if len(self.history) < self.num_requests:
            return None
        return max(self.duration - (self.now - self.history[self.num_requests - 1]), 1)


class AnonReadThrottle(_LiveRatesMixin, AnonRateThrottle):
    scope = "anon"


class UserThrottle(_LiveRatesMixin, UserRateThrottle):
    scope = "user"


class WriteThrottle(_LiveRatesMixin, SimpleRateThrottle):
    """Unsafe methods, per user (per IP when anonymous)."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
