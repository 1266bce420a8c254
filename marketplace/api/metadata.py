"""OPTIONS answers: DRF's metadata, safe on every route.

DRF's SimpleMetadata checks object permissions for PUT by calling `view.get_object()`, which
asserts on a viewset's collection route that answers PUT (`notifications/preferences`): OPTIONS
would be a 500. Here collection routes (`detail=False`) skip the object check: they have none.
"""
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request


class ApiMetadata(SimpleMetadata):
    def determine_actions(self, request, view):
        actions = {}
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            try:
                if hasattr(view, "check_permissions"):
                    view.check_permissions(view.request)
                if method == "PUT" and hasattr(view, "get_object") and getattr(view, "detail", None) is not False:
                    view.get_object()
            except (exceptions.APIException, PermissionDenied, Http404):
                pass
            else:
                actions[method] = self.get_serializer_info(view.get_serializer())
            finally:
                view.request = request
        return actions
