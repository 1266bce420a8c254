"""One error shape for every 4xx/5xx the API returns.

    {"type": "validation_error", "title": "Invalid input.", "status": 400,
     "detail": "...", "errors": {"field": ["message", ...]}}

`type` is a stable machine-readable code, `title` a short human summary, `detail` the message
a client can show, `errors` messages by key: by field for validation errors, by rule code where
a refusal has several reasons (409 `not_publishable`: `{"photo_required": ["Add at least one
photo."]}`). Unexpected exceptions are logged and answered with a generic 500 that leaks no
traceback.
"""
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from marketplace.errors import DomainError

logger = logging.getLogger("marketplace.api")

_TYPES = {
    exceptions.ValidationError: ("validation_error", gettext_lazy("Invalid input.")),
    exceptions.ParseError: ("parse_error", gettext_lazy("Malformed request.")),
    exceptions.AuthenticationFailed: ("authentication_failed", gettext_lazy("Authentication failed.")),
    exceptions.NotAuthenticated: ("not_authenticated", gettext_lazy("Authentication required.")),
    exceptions.PermissionDenied: ("permission_denied", gettext_lazy("Permission denied.")),
    exceptions.NotFound: ("not_found", gettext_lazy("Not found.")),
    exceptions.MethodNotAllowed: ("method_not_allowed", gettext_lazy("Method not allowed.")),
    exceptions.NotAcceptable: ("not_acceptable", gettext_lazy("Not acceptable.")),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", gettext_lazy("Unsupported media type.")),
    exceptions.Throttled: ("throttled", gettext_lazy("Too many requests.")),
}


def error_body(status_code, type_, title, detail, errors=None):
    body = {"type": type_, "title": title, "status": status_code, "detail": str(detail)}
    if errors:
        body["errors"] = errors
    return body


def _flatten_errors(data):
    """DRF validation details as {field: [messages]}; non-field errors under "non_field_errors"."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if isinstance(value, dict):
                for sub_key, sub_value in _flatten_errors(value).items():
                    out[f"{key}.{sub_key}"] = sub_value
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub_key, sub_value in _flatten_errors(item).items():
                        out[f"{key}[{index}].{sub_key}"] = sub_value
            else:
                out[key] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return out
    if isinstance(data, list):
        return {"non_field_errors": [str(v) for v in data]}
    return {"non_field_errors": [str(data)]}


def _first_message(errors):
    for messages in errors.values():
        if messages:
            return messages[0]
    return _("Invalid input.")


def exception_handler(exc, context):
    # Like DRF's handler: an error answer must not commit half of an atomic request.
    set_rollback()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, DomainError):
        if exc.errors:
            errors = {key: [str(message) for message in messages] for key, messages in exc.errors.items()}
        else:
            errors = {exc.field: [str(exc.message)]} if exc.field else None
        type_ = exc.code
        titles = {400: _("Invalid request."), 403: _("Permission denied."), 404: _("Not found."), 409: _("Conflict.")}
        body = error_body(exc.status_code, type_, titles.get(exc.status_code, _("Error.")), exc.message, errors)
        return Response(body, status=exc.status_code)

    if isinstance(exc, exceptions.APIException):
        type_, title = _TYPES.get(type(exc), (None, None))
        if type_ is None:
            for klass, pair in _TYPES.items():
                if isinstance(exc, klass):
                    type_, title = pair
                    break
            else:
                type_, title = (exc.default_code or "error"), exc.default_detail
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, exceptions.ValidationError):
            errors = _flatten_errors(exc.detail)
            body = error_body(exc.status_code, type_, str(title), _first_message(errors), errors)
        else:
            body = error_body(exc.status_code, type_, str(title), exc.detail)
        return Response(body, status=exc.status_code, headers=headers)

    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
    body = error_body(500, "server_error", _("Server error."), _("Something went wrong on our side. Please try again later."))
    return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def _wants_json(request):
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def not_found(request, exception=None):
    """handler404: the error shape for API paths, Django's page elsewhere."""
    if _wants_json(request):
        return JsonResponse(error_body(404, "not_found", _("Not found."), _("No such resource.")), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    """handler500: the error shape for API paths (no traceback), Django's page elsewhere."""
    if _wants_json(request):
        body = error_body(500, "server_error", _("Server error."), _("Something went wrong on our side. Please try again later."))
        return JsonResponse(body, status=500)
    from django.views.defaults import server_error as default_server_error

    return default_server_error(request)


def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body(400, "bad_request", _("Bad request."), _("The request could not be understood.")), status=400)
    from django.views.defaults import bad_request as default_bad_request

    return default_bad_request(request, exception)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body(403, "permission_denied", _("Permission denied."), _("You may not do this.")), status=403)
    from django.views.defaults import permission_denied as default_permission_denied

    return default_permission_denied(request, exception)
