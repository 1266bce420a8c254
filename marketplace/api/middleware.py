"""Every /api/ path answers with or without its trailing slash.

Routers declare collections with a slash and single-purpose endpoints without one; clients
should not have to remember which. Rather than redirect (which loses a POST body, and which
Django refuses to do for POSTs under DEBUG), a path that does not resolve is rewritten to its
twin with the slash added or removed, when that one resolves.

Also here: the error shape on every API error page (ApiErrorShapeMiddleware) and the bound on
request bodies (RequestBodyLimitMiddleware).
"""
import io
from functools import lru_cache

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import get_resolver, is_valid_path
from django.utils.translation import gettext as _
from rest_framework.response import Response

from marketplace.api.errors import error_response


@lru_cache(maxsize=4096)
def _path_to_serve(resolver, path: str) -> str:
    """`path`, or its twin when only the twin resolves. Cached per resolver (a new one after
    URLconf changes), because resolving costs as much as the handler's own resolution, and the
    same paths come back all the time; the bound keeps paths with ids from growing it."""
    urlconf = resolver.urlconf_name
    if is_valid_path(path, urlconf):
        return path
    twin = path[:-1] if path.endswith("/") else f"{path}/"
    return twin if is_valid_path(twin, urlconf) else path


class SlashInsensitiveApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and len(path) > 5:
            served = _path_to_serve(get_resolver(getattr(request, "urlconf", None)), path)
            if served != path:
                request.path_info = served
                request.path = f"{request.path[: len(request.path) - len(path)]}{served}"
        return self.get_response(request)


def _is_api_path(request) -> bool:
    return request.path_info.startswith("/api/")


class ApiErrorShapeMiddleware:
    """Every error on an /api/ path answers in the one error shape, in every mode.

    DRF views answer errors through the exception handler, and handler404/handler500 cover the
    rest when DEBUG is off; with DEBUG on, Django answers a path that matches no route (and a
    crash outside DRF) with its HTML debug page instead, which lists the URL patterns. This
    replaces any error page that is not already JSON on an API path; the traceback of a crash
    is still logged by Django.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _is_api_path(request)
            and not isinstance(response, Response)
            and not getattr(response, "streaming", False)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return error_response(response.status_code, headers=_kept_headers(response))
        return response


def _kept_headers(response) -> dict:
    return {name: response[name] for name in ("Allow", "Retry-After", "Vary") if response.has_header(name)}


class RequestBodyLimitMiddleware:
    """Bounds request bodies before anything reads or parses them: 413 `request_too_large`.

    JSON and form bodies may have `API_MAX_BODY_BYTES`, multipart uploads `API_MAX_UPLOAD_BYTES`.
    A declared Content-Length above the bound is refused at once, unread. A body without one
    (chunked) is read here up to the bound and no further, then handed on as if it had declared
    its length.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = body_limit(request)
        declared = request.META.get("CONTENT_LENGTH")
        if declared:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # Django reads no body with an unreadable length
            if too_large:
                return request_too_large(request, limit)
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = _read_unsized_body(request, limit + 1)
            if len(body) > limit:
                return request_too_large(request, limit)
            request._stream = io.BytesIO(body)  # what HttpRequest.body does with a body it has read
            request._read_started = False
            request.META["CONTENT_LENGTH"] = str(len(body))
        return self.get_response(request)


def _read_unsized_body(request, size: int) -> bytes:
    """At most `size` bytes of a body sent without a Content-Length."""
    if request.META.get("wsgi.input_terminated"):
        # The WSGI server (gunicorn) ends the input where the body ends; Django's WSGI request
        # would read nothing without a Content-Length, so the body is read from the input itself.
        return request.META["wsgi.input"].read(size)
    return request.read(size)  # ASGI: the server has received the body, Django streams it


def body_limit(request) -> int:
    if request.content_type == "multipart/form-data":
        return settings.API_MAX_UPLOAD_BYTES
    return settings.API_MAX_BODY_BYTES


def request_too_large(request, limit: int):
    detail = _("The request body may be at most %(size)s.") % {"size": filesizeformat(limit)}
    return error_response(413, detail=detail)
