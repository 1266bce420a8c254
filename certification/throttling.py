"""The "verify" throttle: public lookups by code, per client IP, against enumeration."""
from rest_framework.throttling import SimpleRateThrottle

from marketplace.api.throttling import _LiveRatesMixin

# Used when settings name no "verify" rate, so the public lookups are never unthrottled.
DEFAULT_VERIFY_RATE = "30/min"


class VerifyThrottle(_LiveRatesMixin, SimpleRateThrottle):
    scope = "verify"

    def get_rate(self):
        return super().get_rate() or DEFAULT_VERIFY_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
