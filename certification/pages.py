"""The server-rendered verify page people reach by scanning a label with a phone camera.

Language: ?lang=en or ?lang=zh-hans wins, otherwise the Accept-Language header (LocaleMiddleware).
Throttled like the API lookups (scope "verify"), so the page is no back door for enumeration.
"""
from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from certification import selectors
from certification.public import verification
from certification.throttling import VerifyThrottle

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


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
            context = {"code": code, "language": language, "result": None}
            if resolved is not None:
                context["result"] = verification(*resolved, request)
            response = render(request, "certification/verify.html", context, status=200 if resolved else 404)
    response["Content-Language"] = language
    response.setdefault("Vary", "Accept-Language")
    return response
