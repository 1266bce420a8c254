"""Registration by e-mail confirmation: one answer whether or not the address has an account.

register -> 202 "check your mail" -> the mail holds a link (and code) -> confirm with the code and
the password chosen when registering -> the account exists and the answer holds a token.
"""
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Registration, User
from tests.factories import UserFactory
from tests.helpers import assert_error_shape, run_together

NEW_PASSWORD = "another-long-secret-42"
ACCEPTED_EN = {"detail": "Check your mail: we sent a message to this address. Follow it to finish signing up."}
CONFIRM_LINK = re.compile(r"http://testserver/confirm-registration\?token=(?P<token>[\w-]+)&lang=(?P<lang>[\w-]+)")


@pytest.fixture(autouse=True)
def _links(settings):
    settings.PUBLIC_BASE_URL = "http://testserver"


def client(language="en", address="198.51.100.7"):
    api = APIClient(REMOTE_ADDR=address)
    api.credentials(HTTP_ACCEPT_LANGUAGE=language)
    return api


def register(api, capture, email, password=NEW_PASSWORD, **fields):
    with capture(execute=True):
        return api.post("/api/v1/auth/register", {"email": email, "password": password, **fields})


def confirmation_token(message):
    match = CONFIRM_LINK.search(message.body)
    assert match, message.body
    assert message.body.count(match["token"]) == 2  # in the link, and alone for an app to take
    return match["token"]


def confirm(api, token, password=NEW_PASSWORD):
    return api.post("/api/v1/auth/register/confirm", {"token": token, "password": password})


def test_registering_mails_a_link_and_confirming_makes_the_account(db, django_capture_on_commit_callbacks):
    api = client()
    response = register(api, django_capture_on_commit_callbacks, " Mei.Lin@Example.com ", display_name="林美",
                        city="广州市", language="zh-hans", is_staff=True)

    assert response.status_code == 202, response.content
    assert response.json() == ACCEPTED_EN
    assert not User.objects.exists()  # nothing until the address is confirmed
    [message] = mail.outbox
    assert message.to == ["mei.lin@example.com"]
    assert message.subject == "确认您的注册"  # the language chosen for the account
    token = confirmation_token(message)
    assert CONFIRM_LINK.search(message.body)["lang"] == "zh-hans"

    confirmed = confirm(api, token)

    assert confirmed.status_code == 201, confirmed.content
    body = confirmed.json()
    user = User.objects.get()
    assert (user.email, user.display_name, user.city, user.language) == ("mei.lin@example.com", "林美", "广州市", "zh-hans")
    assert user.is_staff is False and user.is_active is True
    assert user.check_password(NEW_PASSWORD)
    assert body["user"]["id"] == user.pk
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.get("/api/v1/me").json()["email"] == "mei.lin@example.com"
    assert api.post("/api/v1/auth/login", {"login": "mei.lin@example.com", "password": NEW_PASSWORD}).status_code == 200


@pytest.mark.parametrize("spelling", ["lina@example.com", "LINA@Example.COM"])
def test_an_address_with_an_account_gets_the_same_answer_and_a_mail_saying_so(
    db, django_capture_on_commit_callbacks, spelling
):
    UserFactory(email="lina@example.com", language="zh-hans")
    new = register(client(address="198.51.100.1"), django_capture_on_commit_callbacks, "nobody@example.com")
    taken = register(client(address="198.51.100.2"), django_capture_on_commit_callbacks, spelling)

    assert (taken.status_code, taken.json()) == (new.status_code, new.json()) == (202, ACCEPTED_EN)
    assert sorted(taken.headers) == sorted(new.headers)
    exists_mail = mail.outbox[1]
    assert exists_mail.to == ["lina@example.com"]
    assert exists_mail.subject == "您已经有账号了"  # the account's language, not the request's
    assert "http://testserver/reset-password?lang=zh-hans" in exists_mail.body
    assert "confirm-registration" not in exists_mail.body
    assert User.objects.count() == 1


def test_the_answer_is_in_the_request_language(db, django_capture_on_commit_callbacks):
    response = register(client("zh-hans"), django_capture_on_commit_callbacks, "mei@example.com")
    assert response.json() == {"detail": "请查收邮件：我们已向此邮箱发送了一封邮件，请按邮件中的说明完成注册。"}
    assert mail.outbox[0].subject == "确认您的注册"  # no language given: the request's


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"password": NEW_PASSWORD}, {"email"}),
        ({"email": "", "password": NEW_PASSWORD}, {"email"}),
        ({"email": "not-an-email", "password": NEW_PASSWORD}, {"email"}),
        ({"email": "a@example.com"}, {"password"}),
        ({"email": "a@example.com", "password": NEW_PASSWORD, "display_name": "长" * 61}, {"display_name"}),
        ({"email": "a@example.com", "password": NEW_PASSWORD, "language": "fr"}, {"language"}),
        # No SMS gateway confirms a number: phone numbers are not registered (see docs/accounts.md).
        ({"phone": "13800138000", "password": NEW_PASSWORD}, {"email", "phone"}),
        ({"email": "a@example.com", "phone": "13800138000", "password": NEW_PASSWORD}, {"phone"}),
    ],
)
def test_bad_input_is_a_validation_error_by_field(db, payload, fields):
    body = assert_error_shape(client().post("/api/v1/auth/register", payload), 400, "validation_error")
    assert set(body["errors"]) == fields, body
    assert not Registration.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        ("en", ["This password is too short. It must contain at least 8 characters.", "This password is too common.",
                "This password is entirely numeric."]),
        ("zh-hans", ["密码太短，至少需要 8 个字符。", "这个密码太常见了。", "密码只包含数字。"]),
    ],
)
def test_a_weak_password_gets_every_reason_in_the_request_language(db, language, messages):
    response = client(language).post("/api/v1/auth/register", {"email": "a@example.com", "password": "1234"})
    body = assert_error_shape(response, 400, "validation_error")
    assert body["errors"] == {"password": messages}


def test_confirming_needs_the_password_chosen_when_registering(db, django_capture_on_commit_callbacks):
    """Someone who registers another person's address cannot make them confirm an account whose
    password the registrant chose: the link alone makes nothing."""
    api = client()
    register(api, django_capture_on_commit_callbacks, "victim@example.com", password="strangers-secret-77")
    token = confirmation_token(mail.outbox[0])

    body = assert_error_shape(confirm(api, token, password=NEW_PASSWORD), 400, "wrong_password")
    assert set(body["errors"]) == {"password"}
    assert not User.objects.exists()


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 128])
def test_an_unknown_code_is_refused(db, token):
    body = assert_error_shape(confirm(client(), token), 400)
    assert set(body["errors"]) == {"token"}


def test_an_expired_registration_cannot_be_confirmed(db, django_capture_on_commit_callbacks):
    api = client()
    register(api, django_capture_on_commit_callbacks, "late@example.com")
    Registration.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error_shape(confirm(api, confirmation_token(mail.outbox[0])), 400, "invalid_token")
    assert not User.objects.exists()


def test_once_the_address_has_an_account_every_confirmation_answers_the_same(db, django_capture_on_commit_callbacks):
    api = client()
    register(api, django_capture_on_commit_callbacks, "twice@example.com")
    register(api, django_capture_on_commit_callbacks, "twice@example.com", password="second-secret-99")
    first, second = (confirmation_token(message) for message in mail.outbox)
    assert confirm(api, second, "second-secret-99").status_code == 201

    again = assert_error_shape(confirm(api, second, "second-secret-99"), 409, "account_exists")
    other = assert_error_shape(confirm(api, first), 409, "account_exists")
    assert again == other
    assert User.objects.get().check_password("second-secret-99")


def test_registrations_past_their_expiry_are_cleared_by_the_next_one(db, django_capture_on_commit_callbacks):
    api = client()
    register(api, django_capture_on_commit_callbacks, "old@example.com")
    Registration.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    register(api, django_capture_on_commit_callbacks, "new@example.com")
    assert list(Registration.objects.values_list("email", flat=True)) == ["new@example.com"]


def test_the_password_is_stored_hashed_and_the_code_only_as_a_hash(db, django_capture_on_commit_callbacks):
    register(client(), django_capture_on_commit_callbacks, "mei@example.com")
    registration = Registration.objects.get()
    token = confirmation_token(mail.outbox[0])
    assert NEW_PASSWORD not in registration.password and registration.password.startswith("md5$")
    assert token not in registration.token_hash


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_registrations_of_one_address_at_once_make_one_account_and_one_answer(rates):
    """Twenty registrations of one address race, then the twenty mailed links race: one account,
    every registration answered alike, every losing confirmation answered alike, no 500."""
    rates(register="1000/h", account_mail="1000/h")
    UserFactory(email="taken@example.com")  # an address with an account answers the same meanwhile
    registrations = []

    def sign_up(email):
        def run():
            registrations.append(client(address="198.51.100.50").post(
                "/api/v1/auth/register", {"email": email, "password": NEW_PASSWORD}
            ))
        return run

    errors = run_together(*[sign_up("race@example.com") for _ in range(20)], sign_up("TAKEN@example.com"))
    assert errors == []
    assert {(r.status_code, r.content) for r in registrations} == {(202, registrations[0].content)}
    tokens = [confirmation_token(m) for m in mail.outbox if m.subject == "Confirm your registration"]
    assert len(tokens) == 20

    confirmations = []

    def confirm_one(token):
        return lambda: confirmations.append(confirm(client(address="198.51.100.51"), token))

    assert run_together(*[confirm_one(token) for token in tokens]) == []

    statuses = sorted(r.status_code for r in confirmations)
    assert statuses == [201] + [409] * 19, statuses
    losers = {r.content for r in confirmations if r.status_code == 409}
    assert len(losers) == 1 and b'"account_exists"' in losers.pop()
    assert User.objects.filter(email="race@example.com").count() == 1
