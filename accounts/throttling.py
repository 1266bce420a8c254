"""Throttles of signing in, registering and resetting a password (rates: settings.THROTTLE_RATES).

- `login`: every sign-in attempt, per client address;
- `login_account`: failed sign-ins per account, by its e-mail or its phone number, from any address;
- `register`: registrations and their confirmations, per client address;
- `password_reset`: reset requests and confirmations, per client address;
- `account_mail`: registration and reset mails per recipient address. Beyond it a request is
  answered as any other but no mail goes out, so the limit tells nothing about accounts.

The address throttles work on DRF requests and on the plain Django requests of the pages.
"""
import hashlib

from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from marketplace.api.throttling import _LiveRatesMixin


class _AddressThrottle(_LiveRatesMixin, SimpleRateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginThrottle(_AddressThrottle):
    scope = "login"


class RegisterThrottle(_AddressThrottle):
    scope = "register"


class PasswordResetThrottle(_AddressThrottle):
    scope = "password_reset"


class _ValueThrottle(_LiveRatesMixin, SimpleRateThrottle):
    """Counted per value (an account, a recipient) whatever the address; the cache holds its hash only."""

    def __init__(self, value: str):
        super().__init__()
        self.value = value

    def get_cache_key(self, request=None, view=None):
        digest = hashlib.sha256(self.value.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginAccountThrottle(_ValueThrottle):
    """Failed sign-ins of one account, whether it is named by its e-mail or its phone number
    (a login that names no account is counted by itself, normalized).

    `allow_request` counts the attempt before the password is checked, so that guesses sent in
    parallel see each other; `forget_attempt` takes it back once the password was right.
    """

    scope = "login_account"

    def __init__(self, login: str):
        try:
            counted_as = f"user:{User.objects.get_by_login(login).pk}"
        except User.DoesNotExist:
            counted_as = f"login:{User.objects.normalize_login(login)}"
        super().__init__(counted_as)

    def forget_attempt(self) -> None:
        if getattr(self, "key", None) is None:
            return
        history = self.cache.get(self.key, [])
        if self.now in history:
            history.remove(self.now)
            self.cache.set(self.key, history, self.duration)


class AccountMailBudget(_ValueThrottle):
    scope = "account_mail"

    def __init__(self, email: str):
        super().__init__(email.strip().lower())

    def spend(self) -> bool:
        """Count one mail to the address; False when its budget is used up (send nothing then)."""
        return self.allow_request(None, None)
