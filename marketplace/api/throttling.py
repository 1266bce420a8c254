"""Throttles: anonymous requests bounded, writes limited, auth endpoints strict.

Rates come from settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env THROTTLE_*) and are
read per request, so a settings override applies without a restart. Clients are told apart by
REMOTE_ADDR unless REST_FRAMEWORK["NUM_PROXIES"] says how many proxies to look through.
"""
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class _LiveRatesMixin:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        # Unset NUM_PROXIES makes DRF trust X-Forwarded-For as sent by the client, so anyone could
        # dodge the limits by changing that header. Behind a proxy, set NUM_PROXIES to its depth.
        if api_settings.NUM_PROXIES is None:
            return request.META.get("REMOTE_ADDR")
        return super().get_ident(request)


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


class AuthThrottle(_LiveRatesMixin, SimpleRateThrottle):
    """Login, registration and password reset: strict, per client IP."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
