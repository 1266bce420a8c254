"""Hostile request bodies are a 4xx in the error shape, refused before they are read or parsed.

Item 2 of issue 22: more than DATA_UPLOAD_MAX_NUMBER_FIELDS form fields (TooManyFieldsSent) was a
500 on login, register and listings. Item 3: a 60 MB JSON body was read and parsed before a
field-length 400; bodies are now bounded by API_MAX_BODY_BYTES / API_MAX_UPLOAD_BYTES.
"""
import asyncio
import io
import json
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.handlers.asgi import ASGIHandler
from django.test import Client, RequestFactory
from rest_framework.parsers import JSONParser, MultiPartParser

from listings.models import ListingPhoto as Photo
from marketplace.api.errors import bad_request
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, image_bytes, upload

FLOOD = {f"field{n}": "x" for n in range(1_100)}  # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS is 1,000


@pytest.fixture
def parsing_is_forbidden(monkeypatch):
    """The test fails if a body reaches a DRF parser."""

    def refuse(*args, **kwargs):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(JSONParser, "parse", refuse)
    monkeypatch.setattr(MultiPartParser, "parse", refuse)


class TestFormFieldFlood:
    @pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/listings/"])
    def test_a_urlencoded_flood_without_signing_in_is_a_4xx_in_the_shape(self, api, db, path):
        response = api.post(path, data=urlencode(FLOOD), content_type="application/x-www-form-urlencoded")
        # 400 while the endpoint parses forms, 415 where it takes JSON only; never a 500.
        body = assert_error_shape(response, response.status_code)
        assert response.status_code in {400, 401, 415}, body
        if response.status_code == 400:
            assert body["type"] == "too_many_fields"

    @pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/register"])
    def test_a_multipart_flood_without_signing_in_is_a_4xx_in_the_shape(self, api, db, path):
        response = api.post(path, FLOOD, format="multipart")
        body = assert_error_shape(response, response.status_code)
        assert response.status_code in {400, 415}, body
        if response.status_code == 400:
            assert body["type"] == "too_many_fields"

    def test_a_flood_in_a_photo_upload_is_400_too_many_fields(self, client_for, user):
        listing = ListingFactory(seller=user)
        response = client_for(user).post(
            f"/api/v1/listings/{listing.pk}/photos/", {**FLOOD, "image": upload()}, format="multipart"
        )
        body = assert_error_shape(response, 400, "too_many_fields")
        assert body["title"] == "Too many fields."
        assert not Photo.objects.filter(listing=listing).exists()

    def test_too_many_files_is_400_too_many_files(self, client_for, user, settings):
        settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
        listing = ListingFactory(seller=user)
        files = {f"image{n}": upload(name=f"p{n}.jpg") for n in range(3)}
        response = client_for(user).post(f"/api/v1/listings/{listing.pk}/photos/", files, format="multipart")
        assert_error_shape(response, 400, "too_many_files")

    def test_form_data_larger_than_django_allows_is_413(self, client_for, user, settings):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000  # the fields of a multipart body, files aside
        listing = ListingFactory(seller=user)
        response = client_for(user).post(
            f"/api/v1/listings/{listing.pk}/photos/", {"caption": "x" * 5_000, "image": upload()}, format="multipart"
        )
        assert_error_shape(response, 413, "request_too_large")

    def test_django_refusing_a_body_outside_drf_answers_in_the_shape_on_api_paths(self):
        # Views outside DRF: Django hands SuspiciousOperation to handler400.
        request = RequestFactory().post("/api/v1/anything")
        response = bad_request(request, TooManyFieldsSent("too many"))
        assert (response.status_code, json.loads(response.content)["type"]) == (400, "too_many_fields")
        response = bad_request(request, RequestDataTooBig("too big"))
        assert (response.status_code, json.loads(response.content)["type"]) == (413, "request_too_large")


class TestBodyLimit:
    def test_a_json_body_above_the_limit_is_413_before_it_is_parsed(self, client_for, user, settings,
                                                                     parsing_is_forbidden):
        settings.API_MAX_BODY_BYTES = 1024 * 1024
        big = json.dumps({"title": "x" * (2 * 1024 * 1024)})
        response = client_for(user).post("/api/v1/listings/", data=big, content_type="application/json")
        body = assert_error_shape(response, 413, "request_too_large")
        assert body["title"] == "Request too large."
        assert "1.0\xa0MB" in body["detail"]

    def test_anonymous_callers_get_the_same_413(self, api, db, parsing_is_forbidden):
        big = json.dumps({"login": "x" * (2 * 1024 * 1024), "password": "p"})
        response = api.post("/api/v1/auth/login", data=big, content_type="application/json")
        assert_error_shape(response, 413, "request_too_large")

    def test_the_limit_is_a_setting(self, client_for, user, settings):
        settings.API_MAX_BODY_BYTES = 100
        response = client_for(user).patch("/api/v1/me", {"display_name": "x" * 200}, format="json")
        assert_error_shape(response, 413, "request_too_large")
        settings.API_MAX_BODY_BYTES = 10_000
        assert client_for(user).patch("/api/v1/me", {"display_name": "新名字"}, format="json").status_code == 200

    def test_a_body_at_the_limit_is_parsed_as_usual(self, api, db, settings):
        payload = json.dumps({"login": "someone@example.com", "password": "guess"})
        settings.API_MAX_BODY_BYTES = len(payload)
        response = api.post("/api/v1/auth/login", data=payload, content_type="application/json")
        assert response.status_code == 401

    def test_the_message_follows_the_request_language(self, db, settings):
        settings.API_MAX_BODY_BYTES = 10
        response = Client().post("/api/v1/auth/login", data=json.dumps({"login": "abcdefghijk"}),
                                 content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
        body = assert_error_shape(response, 413, "request_too_large")
        assert body["title"] == "请求过大。"

    def test_uploads_have_their_own_larger_limit_and_a_normal_upload_works(self, client_for, user, settings):
        settings.API_MAX_BODY_BYTES = 1_000  # far below a photo: multipart is not bound by it
        listing = ListingFactory(seller=user)
        response = client_for(user).post(f"/api/v1/listings/{listing.pk}/photos/", {"image": upload()},
                                         format="multipart")
        assert response.status_code == 201, response.content
        assert Photo.objects.filter(listing=listing).count() == 1

    def test_an_upload_above_the_upload_limit_is_413_unread(self, client_for, user, settings, parsing_is_forbidden):
        settings.API_MAX_UPLOAD_BYTES = 50_000
        listing = ListingFactory(seller=user)
        big = upload(content=image_bytes(size=(1200, 1200), quality=100))
        assert big.size > 50_000
        response = client_for(user).post(f"/api/v1/listings/{listing.pk}/photos/", {"image": big}, format="multipart")
        assert_error_shape(response, 413, "request_too_large")
        assert not Photo.objects.exists()

    def test_the_default_upload_limit_leaves_room_for_the_largest_accepted_image(self, settings):
        assert settings.API_MAX_UPLOAD_BYTES > settings.IMAGE_MAX_BYTES
        assert settings.API_MAX_BODY_BYTES == 1024 * 1024


def asgi_post(path, chunks, content_type="application/json"):
    """POST through Django's ASGI handler with a chunked body (no Content-Length): (status, body)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", content_type.encode()),
                    (b"transfer-encoding", b"chunked"), (b"accept-language", b"en")],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
                for index, chunk in enumerate(chunks)]
    sent = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays connected until the response is sent


    async def send(message):
        sent.append(message)

    async_to_sync(ASGIHandler())(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], body


def wsgi_chunked_post(path, body: bytes, content_type="application/json"):
    """POST as gunicorn hands a chunked body to Django: no Content-Length, input ended by the server."""
    return Client().generic("POST", path, **{
        "CONTENT_TYPE": content_type, "HTTP_TRANSFER_ENCODING": "chunked", "HTTP_ACCEPT_LANGUAGE": "en",
        "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True,
    })


class TestChunkedBodiesUnderWsgi:
    def test_a_chunked_body_above_the_limit_is_413(self, db, settings, parsing_is_forbidden):
        settings.API_MAX_BODY_BYTES = 10_000
        response = wsgi_chunked_post("/api/v1/auth/login", b'{"login": "' + b"x" * 20_000 + b'"}')
        assert_error_shape(response, 413, "request_too_large")

    def test_a_chunked_body_within_the_limit_is_read_and_parsed(self, db, settings):
        settings.API_MAX_BODY_BYTES = 10_000
        response = wsgi_chunked_post("/api/v1/auth/login", b'{"login": "a@example.com", "password": "guess"}')
        assert response.status_code == 401, response.content  # parsed: the credentials were checked


@pytest.mark.django_db(transaction=True)
class TestChunkedBodies:
    def test_a_chunked_body_above_the_limit_is_413(self, settings):
        settings.API_MAX_BODY_BYTES = 10_000
        chunk = b" " * 4_096
        status, body = asgi_post("/api/v1/auth/login", [b'{"login": "a@example.com",', *[chunk] * 5, b"}"])
        assert status == 413
        assert json.loads(body)["type"] == "request_too_large"

    def test_a_chunked_body_within_the_limit_is_read_and_parsed(self, settings):
        settings.API_MAX_BODY_BYTES = 10_000
        status, body = asgi_post("/api/v1/auth/login", [b'{"login": "a@example.com",', b' "password": "guess"}'])
        assert status == 401, body  # parsed: the credentials were checked, not refused as missing
