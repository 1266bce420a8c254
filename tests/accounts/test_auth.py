"""Login, tokens and their lifetime, logout, password change and reset, and the own profile (/me).

Registration: test_registration.py; throttles: test_throttles.py."""
import re
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts import services
from notifications.tasks import send_account_mail
from tests.factories import PASSWORD, UserFactory
from tests.helpers import assert_error_shape

NEW_PASSWORD = "another-long-secret-42"


def token_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT_LANGUAGE="en")
    return client


def login(api, login_, password=PASSWORD):
    return api.post("/api/v1/auth/login", {"login": login_, "password": password})


# Login and tokens -----------------------------------------------------------------------------------

def test_login_by_email_is_case_insensitive(api, db):
    user = UserFactory(email="lina@example.com")
    response = login(api, "LiNa@Example.com")
    assert response.status_code == 200, response.content
    assert response.json()["user"]["id"] == user.pk
    assert "sessionid" not in response.cookies  # token login opens no session (login CSRF)


def test_login_by_phone_in_any_common_spelling(api, db):
    user = UserFactory(email=None, phone="+8613800138000")
    for spelling in ["13800138000", "+86 138 0013 8000", "0086-138-0013-8000"]:
        response = login(api, spelling)
        assert response.status_code == 200, (spelling, response.content)
        assert response.json()["user"]["id"] == user.pk


@pytest.mark.parametrize("login_", ["user@example.com", "nobody@example.com", "13800000000"])
def test_login_with_wrong_credentials_is_401_without_saying_which(api, db, login_):
    UserFactory(email="user@example.com")
    response = login(api, login_, password="wrong-password")
    body = assert_error_shape(response, 401, "authentication_failed")
    assert body["detail"] == "Wrong login or password."
    assert response["WWW-Authenticate"] == "Token"


def test_inactive_user_cannot_log_in(api, db):
    UserFactory(email="gone@example.com", is_active=False)
    assert_error_shape(login(api, "gone@example.com"), 401)


def test_login_requires_both_fields(api, db):
    body = assert_error_shape(api.post("/api/v1/auth/login", {"login": "a@example.com"}), 400, "validation_error")
    assert set(body["errors"]) == {"password"}


def test_logout_invalidates_only_the_token_used(api, db):
    UserFactory(email="lina@example.com")
    first = login(api, "lina@example.com").json()["token"]
    second = login(api, "lina@example.com").json()["token"]

    assert token_client(first).post("/api/v1/auth/logout").status_code == 204

    assert_error_shape(token_client(first).get("/api/v1/me"), 401, "authentication_failed")
    assert token_client(second).get("/api/v1/me").status_code == 200


def test_logout_all_invalidates_every_token(api, db):
    user = UserFactory(email="lina@example.com")
    tokens = [login(api, "lina@example.com").json()["token"] for _ in range(3)]

    assert token_client(tokens[0]).post("/api/v1/auth/logout-all").status_code == 204

    assert not AuthToken.objects.filter(user=user).exists()
    for token in tokens:
        assert_error_shape(token_client(token).get("/api/v1/me"), 401)


@pytest.mark.parametrize("path", ["/api/v1/auth/logout", "/api/v1/auth/logout-all", "/api/v1/auth/password/change"])
def test_signed_in_auth_endpoints_need_a_user(api, db, path):
    assert_error_shape(api.post(path, {}), 401, "not_authenticated")


def test_a_new_device_beyond_the_token_limit_signs_out_the_oldest(api, db, settings):
    from knox.settings import knox_settings

    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    assert knox_settings.TOKEN_LIMIT_PER_USER == 2
    UserFactory(email="lina@example.com")
    tokens = [login(api, "lina@example.com").json()["token"] for _ in range(3)]

    assert_error_shape(token_client(tokens[0]).get("/api/v1/me"), 401)
    assert token_client(tokens[1]).get("/api/v1/me").status_code == 200
    assert token_client(tokens[2]).get("/api/v1/me").status_code == 200


def test_login_records_last_login(api, db):
    user = UserFactory(email="lina@example.com")
    assert user.last_login is None
    login(api, "lina@example.com")
    user.refresh_from_db()
    assert user.last_login is not None


# Password change ----------------------------------------------------------------------------------

def test_password_change_keeps_this_device_and_signs_out_the_others(api, db):
    user = UserFactory(email="lina@example.com")
    this_device = login(api, "lina@example.com").json()["token"]
    other_device = login(api, "lina@example.com").json()["token"]

    response = token_client(this_device).post(
        "/api/v1/auth/password/change", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert response.status_code == 204, response.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert token_client(this_device).get("/api/v1/me").status_code == 200
    assert_error_shape(token_client(other_device).get("/api/v1/me"), 401)
    assert_error_shape(login(api, "lina@example.com", PASSWORD), 401)
    assert login(api, "lina@example.com", NEW_PASSWORD).status_code == 200


def test_password_change_with_the_wrong_current_password_changes_nothing(api, db):
    user = UserFactory(email="lina@example.com")
    token = login(api, "lina@example.com").json()["token"]
    body = assert_error_shape(
        token_client(token).post(
            "/api/v1/auth/password/change", {"old_password": "not-it", "new_password": NEW_PASSWORD}
        ),
        400,
        "wrong_password",
    )
    assert "old_password" in body["errors"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        ("en", ["This password is too short. It must contain at least 8 characters.", "This password is too common.",
                "This password is entirely numeric."]),
        ("zh-hans", ["密码太短，至少需要 8 个字符。", "这个密码太常见了。", "密码只包含数字。"]),
    ],
)
def test_password_change_refuses_a_weak_password_with_each_reason_in_the_request_language(db, language, messages):
    user = UserFactory(email="lina@example.com")
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/v1/auth/password/change", {"old_password": PASSWORD, "new_password": "1234"},
                           HTTP_ACCEPT_LANGUAGE=language)
    body = assert_error_shape(response, 400, "validation_error")
    assert body["errors"] == {"new_password": messages}
    assert body["detail"] == messages[0]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# Password reset -----------------------------------------------------------------------------------

def _reset_link_params(message):
    match = re.search(r"http://testserver/reset-password\?uid=(?P<uid>[\w-]+)&token=(?P<token>[\w-]+)&lang=", message.body)
    assert match, message.body
    return match.group("uid"), match.group("token")


def test_password_reset_mails_a_link_that_works_once(api, db, django_capture_on_commit_callbacks, settings):
    settings.PUBLIC_BASE_URL = "http://testserver"
    user = UserFactory(email="lina@example.com")
    old_token = login(api, "lina@example.com").json()["token"]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post("/api/v1/auth/password/reset", {"email": "LINA@example.com"})
    assert response.status_code == 202
    assert mail.outbox == []  # mailed by a task once the request's transaction has committed
    with patch.object(send_account_mail, "delay", wraps=send_account_mail.delay) as task:
        for callback in callbacks:
            callback()
    assert task.call_args.args[:3] == ("password_reset", "lina@example.com", "en")
    assert len(mail.outbox) == 1
    assert not user.notifications.exists()  # the one-time link is kept in no in-app notification
    message = mail.outbox[0]
    assert message.to == ["lina@example.com"]
    assert message.subject == "Reset your password"
    uid, token = _reset_link_params(message)

    confirm = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    assert api.post("/api/v1/auth/password/reset/confirm", confirm).status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_error_shape(token_client(old_token).get("/api/v1/me"), 401)  # a reset signs out everywhere

    again = api.post("/api/v1/auth/password/reset/confirm", {**confirm, "new_password": "yet-another-secret-7"})
    body = assert_error_shape(again, 400, "invalid_token")
    assert "token" in body["errors"]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_mail_is_in_the_users_language(api, db, django_capture_on_commit_callbacks):
    UserFactory(email="lina@example.com", language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/auth/password/reset", {"email": "lina@example.com"})
    assert mail.outbox[0].subject == "重置您的密码"
    assert "&lang=zh-hans" in mail.outbox[0].body


def test_password_reset_mails_an_address_a_bounded_number_of_times(api, db, django_capture_on_commit_callbacks, rates):
    rates(account_mail="2/h")
    UserFactory(email="lina@example.com")
    for n in range(4):
        client = APIClient(REMOTE_ADDR=f"198.51.100.{n}")
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/api/v1/auth/password/reset", {"email": "lina@example.com"}).status_code == 202
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("email", ["nobody@example.com", "inactive@example.com"])
def test_password_reset_for_unknown_address_is_202_and_sends_nothing(api, db, django_capture_on_commit_callbacks, email):
    UserFactory(email="inactive@example.com", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/auth/password/reset", {"email": email})
    assert response.status_code == 202
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("uid", "token"),
    [("MQ", "bad-token"), ("not-base64!", "bad-token"), ("OTk5OTk", "bad-token"), ("", "x")],
)
def test_password_reset_confirm_with_a_bad_link_is_400(api, db, uid, token):
    user = UserFactory(email="lina@example.com")
    response = api.post(
        "/api/v1/auth/password/reset/confirm", {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    )
    assert_error_shape(response, 400)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        ("en", ["The password is too similar to the e-mail.",
                "This password is too short. It must contain at least 8 characters."]),
        ("zh-hans", ["密码跟 电子邮箱 太相似了。", "密码太短，至少需要 8 个字符。"]),
    ],
)
def test_password_reset_confirm_refuses_a_weak_password_with_field_errors(
    db, django_capture_on_commit_callbacks, settings, language, messages
):
    settings.PUBLIC_BASE_URL = "http://testserver"
    user = UserFactory(email="lina.zhang@example.com")
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/auth/password/reset", {"email": "lina.zhang@example.com"})
    uid, token = _reset_link_params(mail.outbox[0])
    response = client.post(
        "/api/v1/auth/password/reset/confirm", {"uid": uid, "token": token, "new_password": "lina.zh"}
    )
    body = assert_error_shape(response, 400, "validation_error")
    assert body["errors"] == {"new_password": messages}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# /me ----------------------------------------------------------------------------------------------

def test_me_needs_a_signed_in_user(api, db):
    assert_error_shape(api.get("/api/v1/me"), 401, "not_authenticated")
    assert_error_shape(api.patch("/api/v1/me", {"display_name": "x"}), 401)


def test_me_shows_the_own_profile(client_for, user):
    body = client_for(user).get("/api/v1/me").json()
    assert body["id"] == user.pk
    assert body["email"] == user.email
    assert body["display_name"] == user.display_name


def test_me_patch_saves_through_the_accounts_service(client_for, user):
    with patch("accounts.views.services.update_profile", wraps=services.update_profile) as update_profile:
        response = client_for(user).patch("/api/v1/me", {"display_name": "  新名字 ", "district": "越秀区"})
    assert response.status_code == 200, response.content
    assert update_profile.call_args.kwargs == {"display_name": "新名字", "district": "越秀区"}
    assert response.json()["display_name"] == "新名字"
    user.refresh_from_db()
    assert (user.display_name, user.district, user.city) == ("新名字", "越秀区", "广州市")


def test_me_patch_changes_the_profile_but_not_read_only_fields(client_for, user):
    original_email = user.email
    response = client_for(user).patch(
        "/api/v1/me",
        {
            "display_name": "新名字",
            "city": "深圳市",
            "language": "zh-hans",
            "email": "hijack@example.com",
            "phone": "+8613800138000",
            "is_staff": True,
            "id": 999,
            "date_joined": "2000-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert (user.display_name, user.city, user.language) == ("新名字", "深圳市", "zh-hans")
    assert user.email == original_email
    assert user.phone is None
    assert user.is_staff is False
    assert user.date_joined.year != 2000


def test_me_rejects_bad_values(client_for, user):
    client = client_for(user)
    body = assert_error_shape(client.patch("/api/v1/me", {"language": "klingon"}), 400, "validation_error")
    assert "language" in body["errors"]
    body = assert_error_shape(client.patch("/api/v1/me", {"display_name": "x" * 61}), 400)
    assert "display_name" in body["errors"]


@pytest.mark.parametrize("method", ["put", "delete", "post"])
def test_me_does_not_allow_replace_or_delete(client_for, user, method):
    assert_error_shape(getattr(client_for(user), method)("/api/v1/me", {}), 405, "method_not_allowed")


# Browsable API login ------------------------------------------------------------------------------

def test_browsable_api_login_accepts_a_phone_number(client, db):
    UserFactory(email=None, phone="+8613800138000")
    response = client.post("/api-auth/login/", {"username": "138 0013 8000", "password": PASSWORD, "next": "/api/v1/me"})
    assert response.status_code == 302, response.content
    assert client.get("/api/v1/me", HTTP_ACCEPT="application/json").json()["phone"] == "+8613800138000"


def test_password_change_in_the_browsable_api_keeps_the_session(client, db):
    user = UserFactory(email="lina@example.com")
    client.force_login(user)
    response = client.post(
        "/api/v1/auth/password/change",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 204, response.content
    assert client.get("/api/v1/me", HTTP_ACCEPT="application/json").json()["id"] == user.pk


def test_a_stale_token_does_not_block_registering_or_logging_in(db):
    UserFactory(email="lina@example.com")
    client = token_client("expired-or-revoked-token")
    assert client.post("/api/v1/auth/register", {"email": "new@example.com", "password": NEW_PASSWORD}).status_code == 202
    assert login(client, "lina@example.com").status_code == 200


# Token lifetime ------------------------------------------------------------------------------------

def test_a_token_used_every_month_stops_working_at_its_maximum_age(api, db, monkeypatch, settings):
    settings.AUTH_TOKEN_MAX_AGE = timedelta(days=90)
    start = timezone.now()
    clock = {"now": start}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])
    UserFactory(email="lina@example.com")
    body = login(api, "lina@example.com").json()
    client = token_client(body["token"])
    assert parse_datetime(body["expiry"]) == start + timedelta(days=30)

    for day in (29, 58, 87):  # each use inside the 30 days slides the expiry, but never past day 90
        clock["now"] = start + timedelta(days=day)
        assert client.get("/api/v1/me").status_code == 200, day
    assert AuthToken.objects.get().expiry == start + timedelta(days=90)

    clock["now"] = start + timedelta(days=90, seconds=1)
    assert_error_shape(client.get("/api/v1/me"), 401, "authentication_failed")
    assert not AuthToken.objects.exists()


def test_a_token_older_than_a_lowered_maximum_age_stops_working(api, db, settings):
    UserFactory(email="lina@example.com")
    client = token_client(login(api, "lina@example.com").json()["token"])
    AuthToken.objects.update(created=timezone.now() - timedelta(days=40))
    assert client.get("/api/v1/me").status_code == 200

    settings.AUTH_TOKEN_MAX_AGE = timedelta(days=30)

    body = assert_error_shape(client.get("/api/v1/me"), 401, "authentication_failed")
    assert body["detail"] == "This token is too old: sign in again."
    assert not AuthToken.objects.exists()
