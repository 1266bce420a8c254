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
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
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


# Django refuses these request bodies while parsing them (DATA_UPLOAD_MAX_NUMBER_FIELDS,
# DATA_UPLOAD_MAX_NUMBER_FILES, DATA_UPLOAD_MAX_MEMORY_SIZE); the client sent too much.
_REFUSED_BODIES = (
    (RequestDataTooBig, 413, "request_too_large", gettext_lazy("Request too large."),
     gettext_lazy("The request body is too large.")),
    (TooManyFieldsSent, 400, "too_many_fields", gettext_lazy("Too many fields."),
     gettext_lazy("The request has too many form fields.")),
    (TooManyFilesSent, 400, "too_many_files", gettext_lazy("Too many files."),
     gettext_lazy("The request has too many files.")),
    (SuspiciousOperation, 400, "bad_request", gettext_lazy("Bad request."),
     gettext_lazy("The request could not be understood.")),
)


def refused_body(exc):
    """(status, body) for a request Django refused as suspicious (see _REFUSED_BODIES), else None."""
    for klass, status_code, type_, title, detail in _REFUSED_BODIES:
        if isinstance(exc, klass):
            return status_code, error_body(status_code, type_, str(title), detail)
    return None


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

    refused = refused_body(exc)
    if refused is not None:
        # Logged like Django logs it for views outside DRF: on django.security.<class name>.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").warning("%s: %s", exc, context["request"].path)
        status_code, body = refused
        return Response(body, status=status_code)

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


# Answers to errors that happen before or outside a DRF view: (type, title, detail) by status.
_STATUS_ERRORS = {
    400: ("bad_request", gettext_lazy("Bad request."), gettext_lazy("The request could not be understood.")),
    403: ("permission_denied", gettext_lazy("Permission denied."), gettext_lazy("You may not do this.")),
    404: ("not_found", gettext_lazy("Not found."), gettext_lazy("No such resource.")),
    405: ("method_not_allowed", gettext_lazy("Method not allowed."), gettext_lazy("This method is not allowed here.")),
    413: ("request_too_large", gettext_lazy("Request too large."), gettext_lazy("The request body is too large.")),
    500: ("server_error", gettext_lazy("Server error."),
          gettext_lazy("Something went wrong on our side. Please try again later.")),
}


def error_response(status_code, *, detail=None, headers=None):
    """A JsonResponse in the error shape for `status_code` (see _STATUS_ERRORS)."""
    fallback = _STATUS_ERRORS[500] if status_code >= 500 else (
        "error", gettext_lazy("Error."), gettext_lazy("The request failed.")
    )
    type_, title, default_detail = _STATUS_ERRORS.get(status_code, fallback)
    body = error_body(status_code, type_, str(title), detail or default_detail)
    return JsonResponse(body, status=status_code, headers=headers)


def _wants_json(request):
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def not_found(request, exception=None):
    """handler404: the error shape for API paths, Django's page elsewhere."""
    if _wants_json(request):
        return error_response(404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    """handler500: the error shape for API paths (no traceback), Django's page elsewhere."""
    if _wants_json(request):
        return error_response(500)
    from django.views.defaults import server_error as default_server_error

    return default_server_error(request)


def bad_request(request, exception=None):
    """handler400 (Django calls it for SuspiciousOperation, e.g. too many form fields)."""
    if _wants_json(request):
        refused = refused_body(exception)
        if refused is not None:
            return JsonResponse(refused[1], status=refused[0])
        return error_response(400)
    from django.views.defaults import bad_request as default_bad_request

    return default_bad_request(request, exception)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return error_response(403)
    from django.views.defaults import permission_denied as default_permission_denied

    return default_permission_denied(request, exception)
