"""The served schema, generated once per language.

Generating the schema takes 0.2 to 1.2 s; it depends only on the code and the language, so
`SchemaView` keeps one per language (and API version) in process memory: a new deployment is a
new process, and so a new schema. (Not in marketplace.api.schema: drf-spectacular's views import
the schema class named in the settings.)
"""
import threading

from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

_schemas: dict = {}
_schemas_lock = threading.Lock()


def clear_schema_cache():
    with _schemas_lock:
        _schemas.clear()


class SchemaView(SpectacularAPIView):
    """/api/schema/: generated once per language and API version, then served from memory."""

    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (translation.get_language(), version)
        with _schemas_lock:  # one generation per key, even when the first requests arrive together
            schema = _schemas.get(key)
            if schema is None:
                generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
                schema = _schemas[key] = generator.get_schema(request=request, public=self.serve_public)
        filename = self._get_filename(request, version)
        return Response(data=schema, headers={"Content-Disposition": f'inline; filename="{filename}"'})
