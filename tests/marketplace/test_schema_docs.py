"""Swagger UI works offline (pinned assets served by the project) and the schema is generated once
per language."""
import re

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from marketplace.api.docs import clear_schema_cache

pytestmark = pytest.mark.django_db


def test_the_docs_page_loads_only_local_static_assets(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', page)
    assert len(assets) >= 3, assets  # the CSS, the bundle, the preset (and the icon)
    prefix = static("drf_spectacular_sidecar/swagger-ui-dist/")
    for url in assets:
        assert url.startswith(prefix), url
        assert finders.find(url.removeprefix(static(""))), f"{url} is not a static file of the project"
    assert not re.search(r"https?://|//cdn", page)
    assert 'url: "/api/schema/' in page or "/api/schema/" in page


@pytest.fixture
def generations(monkeypatch):
    """How many times the schema was generated, from an empty cache."""
    clear_schema_cache()
    calls = []
    original = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    yield calls
    clear_schema_cache()


def served(language, **params):
    response = APIClient().get("/api/schema/", {"format": "json", **params}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.json()


def not_found_text(schema):
    return schema["paths"]["/api/v1/listings/{id}/"]["get"]["responses"]["404"]["description"]


def grade_source_text(schema):
    return schema["components"]["schemas"]["ListingGradeSourceEnum"]["description"]


def test_the_schema_is_generated_once_per_language(generations):
    first = served("en")
    second = served("en")
    assert len(generations) == 1
    assert first == second
    assert served("zh-hans", lang="en") == first  # ?lang= picks the language as well
    assert len(generations) == 1

    chinese = served("zh-hans")
    assert len(generations) == 2
    assert served("zh-hans") == chinese
    assert len(generations) == 2

    assert not_found_text(first).startswith("Not found")
    assert "Self-declared by the seller" in grade_source_text(first)
    assert "卖家自评" in grade_source_text(chinese)
    assert first["info"] == chinese["info"]


def test_yaml_and_json_are_the_same_cached_schema(generations):
    as_json = served("en")
    as_yaml = APIClient().get("/api/schema/", HTTP_ACCEPT_LANGUAGE="en")
    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert "openapi: 3" in as_yaml.content.decode()
    assert len(generations) == 1
    assert as_json["openapi"].startswith("3")
