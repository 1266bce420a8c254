"""The server-rendered verify page people reach by scanning a label with a phone camera.

Language: ?lang=en or ?lang=zh-hans wins, otherwise the Accept-Language header (LocaleMiddleware).
Throttled like the API lookups (scope "verify"), so the page is no back door for enumeration.
"""
from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from certification import selectors
from certification.public import verification
from certification.throttling import VerifyThrottle

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def status_banner(result) -> dict:
    """The one line people who just scanned a label read first: {"level": ok|warn|bad, "text"}."""
    certificate, unit = result["certificate"], result["unit"]
    if unit is not None and not unit["chain"]["ok"]:
        return {"level": "bad", "text": _("Warning: the trace record was altered")}
    if certificate is None:
        return {"level": "warn", "text": _("Not covered by a certificate")}
    status = certificate["status"]
    if status == "valid":
        return {"level": "ok", "text": _("Certificate valid")}
    texts = {
        "suspended": _("Certificate suspended"),
        "revoked": _("Certificate revoked"),
        "expired": _("Certificate expired"),
    }
    return {"level": "warn" if status == "suspended" else "bad", "text": texts.get(status, certificate["status_display"])}


@require_GET
def verify_page(request, code):
    language = request.GET.get("lang", "").lower()
    if language not in SUPPORTED_LANGUAGES:
        language = translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        throttle = VerifyThrottle()
        if not throttle.allow_request(request, None):
            response = render(request, "certification/verify.html", {"throttled": True, "code": code,
                                                                     "language": language}, status=429)
            response["Retry-After"] = str(int(throttle.wait() or 60))
        else:
            resolved = selectors.resolve_code(code)
            context = {"code": code, "language": language, "result": None,
                       "banner": {"level": "bad", "text": _("Not found: this code is not certified here")}}
            if resolved is not None:
                context["result"] = verification(*resolved, request)
                context["banner"] = status_banner(context["result"])
            response = render(request, "certification/verify.html", context, status=200 if resolved else 404)
    response["Content-Language"] = language
    response.setdefault("Vary", "Accept-Language")
    return response
