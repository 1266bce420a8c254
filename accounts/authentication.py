"""API token authentication: knox's tokens, with an absolute maximum age.

knox slides a token's expiry forward on every use (AUTO_REFRESH) and stops at
AUTO_REFRESH_MAX_TTL after it was issued. The check here also refuses tokens issued before that
limit existed or before AUTH_TOKEN_MAX_AGE_DAYS was lowered, whose stored expiry lies beyond it.
"""
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class TokenAuthentication(KnoxTokenAuthentication):
    def validate_user(self, auth_token):
        if auth_token.created + settings.AUTH_TOKEN_MAX_AGE <= timezone.now():
            auth_token.delete()
            raise AuthenticationFailed(_("This token is too old: sign in again."))
        return super().validate_user(auth_token)


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of these tokens: knox's, as before."""

    target_class = "accounts.authentication.TokenAuthentication"
