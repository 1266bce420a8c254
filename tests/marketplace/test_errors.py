"""Every error the API answers has the one shape: 400/401/403/404/405/409/415/429/500."""
import logging

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path
from rest_framework.test import APIClient
from rest_framework.views import APIView

from marketplace.errors import Conflict
from tests.factories import OrganizationFactory, UserFactory
from tests.helpers import assert_error_shape

SECRET = "internal detail that must not leak"


class ExplodingApiView(APIView):
    permission_classes: list = []

    def get(self, request):
        raise RuntimeError(SECRET)


class ConflictView(APIView):
    permission_classes: list = []

    def post(self, request):
        raise Conflict("The listing is already sold.", code="already_sold", field="state")


def exploding_django_view(request):
    raise RuntimeError(SECRET)


def plain_ok(request):
    return HttpResponse("ok")


# This module doubles as the urlconf of the tests marked with it.
urlpatterns = [
    path("api/v1/test/explode", ExplodingApiView.as_view()),
    path("api/v1/test/conflict", ConflictView.as_view()),
    path("api/v1/test/explode-django", exploding_django_view),
    path("page/explode", exploding_django_view),
    path("", include("marketplace.urls")),
]
handler404 = "marketplace.api.errors.not_found"
handler500 = "marketplace.api.errors.server_error"
with_test_urls = pytest.mark.urls(__name__)


# 400 ----------------------------------------------------------------------------------------------

def test_missing_fields_are_listed(api, db):
    body = assert_error_shape(api.post("/api/v1/auth/login", {}), 400, "validation_error")
    assert body["title"] == "Invalid input."
    assert set(body["errors"]) == {"login", "password"}
    assert body["detail"] == body["errors"]["login"][0]


def test_wrong_types_are_field_errors(client_for, user):
    body = assert_error_shape(
        client_for(user).post("/api/v1/notifications/mark-read/", {"ids": "all"}), 400, "validation_error"
    )
    assert "ids" in body["errors"]
    body = assert_error_shape(client_for(user).post("/api/v1/notifications/mark-read/", {"ids": ["x"]}), 400)
    assert any(key.startswith("ids") for key in body["errors"])
    body = assert_error_shape(client_for(user).patch("/api/v1/me", {"display_name": {"nested": 1}}), 400)
    assert "display_name" in body["errors"]


def test_a_body_that_is_not_an_object_is_refused(api, db):
    body = assert_error_shape(api.post("/api/v1/auth/login", ["a", "b"], format="json"), 400, "validation_error")
    assert "non_field_errors" in body["errors"]


def test_oversized_strings_are_refused(api, db):
    body = assert_error_shape(api.post("/api/v1/auth/login", {"login": "x" * 255, "password": "p"}), 400)
    assert "login" in body["errors"]


def test_malformed_json_is_a_parse_error(api, db):
    response = api.post("/api/v1/auth/login", data='{"login": "a@example.com", ', content_type="application/json")
    body = assert_error_shape(response, 400, "parse_error")
    assert body["title"] == "Malformed request."


def test_wrong_content_type_is_415(api, db):
    response = api.post("/api/v1/auth/login", data="login=a", content_type="text/plain")
    assert_error_shape(response, 415, "unsupported_media_type")


# 401, 403, 404, 405, 409 --------------------------------------------------------------------------

def test_anonymous_on_a_signed_in_endpoint_is_401_with_a_challenge(api, db):
    response = api.get("/api/v1/notifications/")
    assert_error_shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token", HTTP_ACCEPT_LANGUAGE="en")
    assert_error_shape(client.get("/api/v1/me"), 401, "authentication_failed")


def test_forbidden_is_403(client_for, user, db):
    org = OrganizationFactory()
    body = assert_error_shape(client_for(user).post(f"/api/v1/organizations/{org.pk}/verify/"), 403, "permission_denied")
    assert body["detail"] == "Only platform staff may do this."


def test_unknown_object_and_unknown_path_are_404(api, client_for, user):
    assert_error_shape(api.get("/api/v1/organizations/999999/"), 404, "not_found")
    assert_error_shape(api.get("/api/v1/organizations/abc/"), 404, "not_found")
    assert_error_shape(client_for(user).get("/api/v1/notifications/abc/"), 404, "not_found")
    assert_error_shape(api.get("/api/v1/no-such-thing"), 404, "not_found")


def test_a_non_api_404_stays_a_page(db):
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_wrong_method_is_405(api, db):
    assert_error_shape(api.get("/api/v1/auth/login"), 405, "method_not_allowed")


@with_test_urls
def test_domain_errors_keep_their_code_and_field(api, db):
    body = assert_error_shape(api.post("/api/v1/test/conflict"), 409, "already_sold")
    assert body["title"] == "Conflict."
    assert body["errors"] == {"state": ["The listing is already sold."]}


def test_titles_follow_the_request_language(db):
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = assert_error_shape(client.post("/api/v1/auth/login", {}), 400, "validation_error")
    assert body["title"] == "无效的输入。"


# 500 ----------------------------------------------------------------------------------------------

@with_test_urls
def test_an_api_crash_is_500_in_the_shape_without_a_traceback(api, db, caplog):
    with caplog.at_level(logging.ERROR, logger="marketplace.api"):
        response = api.get("/api/v1/test/explode")

    assert_error_shape(response, 500, "server_error")
    assert SECRET not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert SECRET in caplog.text  # the team still sees what happened


@with_test_urls
def test_a_crash_outside_drf_is_500_in_the_shape_for_api_paths(db):
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/test/explode-django")
    assert_error_shape(response, 500, "server_error")
    assert SECRET not in response.content.decode()

    page = client.get("/page/explode")
    assert page.status_code == 500
    assert SECRET not in page.content.decode()


# 429 ----------------------------------------------------------------------------------------------

# Sign-in, registration and reset throttles: tests/accounts/test_throttles.py.


def test_writes_are_limited_per_user_but_reads_go_on(client_for, db, rates):
    rates(writes="2/min")
    user = UserFactory()
    client = client_for(user)
    for _ in range(2):
        assert client.post("/api/v1/notifications/mark-read/", {}).status_code == 200

    assert_error_shape(client.post("/api/v1/notifications/mark-read/", {}), 429, "throttled")
    assert client.get("/api/v1/notifications/").status_code == 200
    assert client_for(UserFactory()).post("/api/v1/notifications/mark-read/", {}).status_code == 200


def test_anonymous_reads_are_bounded(api, db, rates):
    rates(anon="2/min")
    for _ in range(2):
        assert api.get("/api/v1/organizations/").status_code == 200
    assert_error_shape(api.get("/api/v1/organizations/"), 429, "throttled")


def test_signed_in_users_have_their_own_read_budget(client_for, db, rates):
    rates(user="2/min")
    client = client_for(UserFactory())
    for _ in range(2):
        assert client.get("/api/v1/me").status_code == 200
    assert_error_shape(client.get("/api/v1/me"), 429, "throttled")
