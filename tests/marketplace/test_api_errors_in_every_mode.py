"""API paths answer in the JSON error shape with DEBUG on too (issue 22, item 14), and OPTIONS
answers on every API route (item 2)."""
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers import assert_error_shape
from tests.marketplace.test_errors import SECRET, with_test_urls


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


class TestDebugOn:
    @pytest.mark.parametrize("path", ["/api/v1/listings/abc/", "/api/v1/certificates/abc/suspend/",
                                      "/api/v1/no-such-thing", "/api/v1/listings/1/no-such-action/"])
    def test_a_path_that_matches_no_route_is_a_json_404(self, api, db, debug, path):
        response = api.get(path)
        assert response["Content-Type"] == "application/json"
        body = assert_error_shape(response, 404, "not_found")
        assert "urlpatterns" not in response.content.decode() and "api/v1/" not in body["detail"]

    def test_a_post_to_a_path_that_matches_no_route_is_a_json_404(self, api, db, debug):
        assert_error_shape(api.post("/api/v1/certificates/abc/revoke/", {"reason": "x"}), 404, "not_found")

    def test_an_object_that_does_not_exist_is_the_same_json_404(self, api, db, debug):
        assert_error_shape(api.get("/api/v1/listings/999999/"), 404, "not_found")

    @with_test_urls
    def test_a_crash_outside_drf_is_a_json_500_without_the_debug_page(self, db, debug):
        response = Client(raise_request_exception=False).get("/api/v1/test/explode-django")
        assert_error_shape(response, 500, "server_error")
        assert SECRET not in response.content.decode()
        assert "Traceback" not in response.content.decode()

    def test_pages_outside_the_api_keep_django_s_debug_page(self, db, debug):
        response = Client().get("/no-such-page")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")

    def test_the_browsable_api_still_renders_drf_errors_as_html(self, db, debug):
        response = Client().get("/api/v1/organizations/999999/", HTTP_ACCEPT="text/html")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")
        assert "urlpatterns" not in response.content.decode()


class TestDebugOff:
    def test_a_path_that_matches_no_route_is_a_json_404(self, api, db, settings):
        settings.DEBUG = False
        assert_error_shape(api.get("/api/v1/listings/abc/"), 404, "not_found")


# OPTIONS on every route ---------------------------------------------------------------------------

def _api_routes():
    """Every /api/v1/ route as a concrete path: each parameter filled with 1 (or a trace code)."""
    paths = []

    def walk(patterns, prefix):
        for pattern in patterns:
            regex = prefix + pattern.pattern.regex.pattern.removeprefix("^").removesuffix("\\Z").removesuffix("$")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, regex)
            elif isinstance(pattern, URLPattern):
                paths.append(regex)

    walk(get_resolver().url_patterns, "")
    concrete = set()
    for regex in paths:
        if not regex.startswith("api/v1/") or "\\.(?P<format>" in regex:
            continue
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "ABCD-EFGH-JKLM" if "code" in m.group(1) else "1", regex)
        path = path.replace("/?", "/").replace("\\", "").replace("?", "")
        concrete.add("/" + path)
    return sorted(concrete)


def test_the_route_walk_finds_the_routes_that_failed(db):
    routes = _api_routes()
    assert "/api/v1/notifications/preferences/" in routes
    assert "/api/v1/certificates/1/suspend/" in routes
    assert len(routes) > 50


@pytest.mark.parametrize("who", ["anonymous", "user", "staff"])
def test_options_answers_on_every_api_route(who, api, client_for, user, staff):
    client = api if who == "anonymous" else client_for({"user": user, "staff": staff}[who])
    failures = {}
    for path in _api_routes():
        response = client.options(path)
        if response.status_code >= 500 or response.status_code not in {200, 401, 403, 404}:
            failures[path] = response.status_code
    assert not failures


def test_options_on_the_preferences_describes_what_put_takes(client_for, user):
    response = client_for(user).options("/api/v1/notifications/preferences/")
    assert response.status_code == 200, response.content
    assert set(response.json()["actions"]["PUT"]) == {"kind", "email_enabled"}


def test_options_with_a_token_on_the_preferences_is_200(api, user):
    from knox.models import AuthToken

    _instance, token = AuthToken.objects.create(user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
    response = api.options("/api/v1/notifications/preferences/")
    assert response.status_code == 200, response.content
    assert {"GET", "PUT"} <= {method.strip() for method in response["Allow"].split(",")}
