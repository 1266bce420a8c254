"""The pages that links in account mails open: choose a new password, confirm a registration.

Small server-rendered forms that work without JavaScript, CSRF-protected, in the language of
?lang= (the mails set it to the recipient's) or else of the request (Chinese by default). They
call the same services as the API (/api/v1/auth/password/reset/confirm, .../register/confirm)
and are throttled in the same scopes.
"""
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import ConfirmRegistrationForm, ResetRequestForm, SetPasswordForm
from accounts.throttling import PasswordResetThrottle, RegisterThrottle
from marketplace.errors import DomainError

LANGUAGE_NAMES = {"zh-hans": "中文", "en": "English"}


def _language(request) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    language = request.GET.get("lang", "").lower()
    return language if language in codes else (translation.get_language() or settings.LANGUAGE_CODE)


def _language_links(request, current):
    links = []
    for code, _name in settings.LANGUAGES:
        query = request.GET.copy()
        query["lang"] = code
        links.append({"code": code, "name": LANGUAGE_NAMES.get(code, code), "url": f"?{query.urlencode()}",
                      "current": code == current})
    return links


def _page(request, template, language, context, status=200, retry_after=None):
    context = {**context, "language": language, "language_links": _language_links(request, language)}
    response = render(request, template, context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(math.ceil(retry_after))
    response["Content-Language"] = language
    response.setdefault("Vary", "Accept-Language")
    return response


def _throttled(request, template, language, throttle_class):
    """The 429 page (with Retry-After) when this POST is over the throttle's limit, else None."""
    throttle = throttle_class()
    if throttle.allow_request(request, None):
        return None
    return _page(request, template, language, {"state": "throttled"}, 429, throttle.wait() or 60)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def reset_password_page(request):
    """Without uid and token: ask for a link. With them (from the mail): choose a new password."""
    language = _language(request)
    template = "accounts/reset_password.html"
    with translation.override(language):
        uid, token = request.GET.get("uid", ""), request.GET.get("token", "")
        request_link_url = f"?lang={language}"
        if not uid and not token:
            form = ResetRequestForm(request.POST or None)
            if request.method == "POST":
                throttled = _throttled(request, template, language, PasswordResetThrottle)
                if throttled is not None:
                    return throttled
                if form.is_valid():
                    services.send_password_reset(form.cleaned_data["email"])
                    return _page(request, template, language, {"state": "link_sent"})
            return _page(request, template, language, {"state": "request", "form": form},
                         400 if form.errors else 200)

        invalid = {"state": "invalid", "request_link_url": request_link_url}
        if services.password_reset_user(uid, token) is None:
            return _page(request, template, language, invalid, 400)
        form = SetPasswordForm(request.POST or None)
        if request.method == "POST":
            throttled = _throttled(request, template, language, PasswordResetThrottle)
            if throttled is not None:
                return throttled
            if form.is_valid():
                try:
                    services.reset_password(uid, token, form.cleaned_data["new_password"])
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, messages)
                except DomainError:
                    return _page(request, template, language, invalid, 400)
                else:
                    return _page(request, template, language, {"state": "done"})
        return _page(request, template, language, {"state": "choose", "form": form}, 400 if form.errors else 200)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def confirm_registration_page(request):
    """Confirm a registration with the token from the mail and the password chosen with it."""
    language = _language(request)
    template = "accounts/confirm_registration.html"
    with translation.override(language):
        token = request.GET.get("token", "")
        registration = services.registration_for_token(token)
        reset_url = f"/reset-password?lang={language}"
        if registration is None or registration.status == "expired":
            return _page(request, template, language, {"state": "invalid"}, 400)
        if registration.status == "confirmed":
            return _page(request, template, language, {"state": "account_exists", "email": registration.email,
                                                       "reset_url": reset_url})
        form = ConfirmRegistrationForm(request.POST or None)
        if request.method == "POST":
            throttled = _throttled(request, template, language, RegisterThrottle)
            if throttled is not None:
                return throttled
            if form.is_valid():
                try:
                    user = services.confirm_registration(token=token, password=form.cleaned_data["password"])
                except DomainError as exc:
                    if exc.code == "wrong_password":
                        form.add_error("password", exc.message)
                    elif exc.code == "account_exists":
                        return _page(request, template, language, {"state": "account_exists",
                                                                   "email": registration.email, "reset_url": reset_url})
                    else:
                        return _page(request, template, language, {"state": "invalid"}, 400)
                else:
                    return _page(request, template, language, {"state": "done", "email": user.email})
        return _page(request, template, language, {"state": "confirm", "form": form, "email": registration.email},
                     400 if form.errors else 200)
