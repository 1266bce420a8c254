"""The server-rendered verify page people reach by scanning a label with a phone camera.

Language: ?lang=en or ?lang=zh-hans wins, otherwise the Accept-Language header (LocaleMiddleware).
Throttled like the API lookups (scope "verify"), so the page is no back door for enumeration.
"""
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from certification import selectors
from certification.public import verdict, verification
from certification.throttling import VerifyThrottle

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _other_language(language: str) -> str:
    return "en" if language == "zh-hans" else "zh-hans"


def _banner(result, language: str) -> dict:
    """The verdict in the page's language, and again in the other one: whoever scanned the label
    reads at once whether to trust it ({"level", "text", "other_language", "other_text"})."""
    other = _other_language(language)
    if result is None:
        texts = {}
        for lang in (language, other):
            with translation.override(lang):
                texts[lang] = _("Not found: this code is not certified here")
        level = "bad"
    else:
        texts = {}
        for lang in (language, other):
            with translation.override(lang):
                texts[lang] = verdict(result["certificate"], result["unit"])["message"]
        level = result["verdict"]["level"]
    return {"level": level, "text": texts[language], "other_language": other, "other_text": texts[other]}


def _time_zone_label() -> str:
    """e.g. "UTC+08:00": the page shows dates in the site's time zone, and says which."""
    offset = timezone.localtime().strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


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
            result = verification(*resolved, request) if resolved is not None else None
            context = {"code": code, "language": language, "result": result, "banner": _banner(result, language),
                       "time_zone": _time_zone_label()}
            response = render(request, "certification/verify.html", context, status=200 if resolved else 404)
    response["Content-Language"] = language
    response.setdefault("Vary", "Accept-Language")
    return response
