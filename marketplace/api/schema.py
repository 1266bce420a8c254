"""The OpenAPI contract: the error answers every operation can give.

Every 4xx the API answers has one shape (`marketplace.api.errors`); the schema names it once, as
the component `Error`, and lists on each operation the statuses that operation can answer, worked
out from what the view declares (authentication, permissions, throttles, parameters, body,
pagination). A view states what only it knows (e.g. search's 503) with `extend_schema`; its
description is kept and the error shape added.
"""
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Permissions that let anyone read: a safe request to a view with only these cannot be forbidden.
_OPEN_TO_READ = (AllowAny, IsAuthenticatedOrReadOnly)


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx and 5xx answer."""

    type = serializers.CharField(help_text=_("Stable machine-readable code, e.g. validation_error, not_found, conflict."))
    title = serializers.CharField(help_text=_("Short summary of the kind of error."))
    status = serializers.IntegerField(help_text=_("The HTTP status code."))
    detail = serializers.CharField(help_text=_("A message to show."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_("Messages per field (validation errors only); non_field_errors for the request as a whole."),
    )

    class Meta:
        ref_name = "Error"


def _model_field_allows_blank(field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or "." in field.source:
        return False
    try:
        column = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return False
    return isinstance(column, (models.CharField, models.TextField)) and column.blank


ERROR_DESCRIPTIONS = {
    "400": _("Invalid input (validation_error, parse_error) or a refused request."),
    "401": _("Not signed in, or the token is invalid or expired."),
    "403": _("Signed in but not allowed to do this."),
    "404": _("Not found, or not visible to you (also a page past the end of a list)."),
    "409": _("The resource's state does not allow this (e.g. invalid_transition)."),
    "413": _("The request body is too large."),
    "415": _("The request body's media type is not accepted."),
    "429": _("Too many requests: wait the seconds in Retry-After."),
}


class AutoSchema(openapi.AutoSchema):
    # Only a list (DRF's `list()`) filters and paginates; a viewset's other actions answer about one
    # object (a listing's photos, history, a reorder): their schema offers no list filters and
    # describes no page.

    def _answers_the_list(self) -> bool:
        return self.method == "GET" and getattr(self.view, "action", "list") == "list"

    def get_filter_backends(self):
        return super().get_filter_backends() if self._answers_the_list() else []

    def _get_paginator(self):
        return super()._get_paginator() if self._answers_the_list() else None

    # DRF drops allow_blank from read-only model fields, so the schema would promise a choice or a
    # pattern where the column may hold "" (a listing's grade_source before grading, evidence that
    # names no criterion).

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            isinstance(field, serializers.ChoiceField) and not isinstance(field, serializers.MultipleChoiceField)
            and field.read_only and "" not in schema.get("enum", [""]) and _model_field_allows_blank(field)
        ):
            schema["enum"].append("")
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if "pattern" in schema and field.read_only and _model_field_allows_blank(field):
            schema["pattern"] = f"^$|{schema['pattern']}"

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation["responses"]
        for code in self._error_statuses(operation):
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
        for code, response in responses.items():
            if code[0] in "45" and "content" not in response:
                response["content"] = {"application/json": {"schema": error}}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation):
        """The 4xx this operation can answer, from what its view declares."""
        view, method = self.view, self.method
        unsafe = method not in SAFE_METHODS
        has_body = "requestBody" in operation
        parameters = operation.get("parameters", [])
        in_query = any(p["in"] == "query" for p in parameters)
        in_path = any(p["in"] == "path" for p in parameters)
        paginated = not unsafe and self._is_list_view() and isinstance(self._get_paginator(), BasePagination)
        permissions = view.get_permissions()
        open_to_read = not unsafe and all(isinstance(p, _OPEN_TO_READ) for p in permissions)

        codes = set()
        if unsafe or in_query:
            codes.add("400")  # validation, or a rule a service refuses with a DomainError
        if view.get_authenticators() or not open_to_read:
            codes.add("401")  # a stale token is refused even where signing in is optional
        if unsafe or not open_to_read:
            codes.add("403")  # roles, ownership, and CSRF for session-signed writes
        if in_path or paginated:
            codes.add("404")
        if unsafe:
            codes.add("409")  # an illegal state change
        if has_body:
            codes.update({"413", "415"})
        if view.get_throttles():
            codes.add("429")
        return sorted(codes)
