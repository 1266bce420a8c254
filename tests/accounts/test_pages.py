"""The pages that links in account mails open: choose a new password, confirm a registration.

Server-rendered, in both languages (Chinese by default), CSRF-protected, working without
JavaScript, through the same services as the API; a bad link shows an error, never a 500.
"""
import re
import shutil
import subprocess

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from knox.models import AuthToken

from accounts import services
from accounts.models import Registration, User
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "another-long-secret-42"
RESET_LINK = re.compile(r"http://testserver(?P<path>/reset-password\?uid=[\w-]+&token=[\w-]+&lang=[\w-]+)")
CONFIRM_LINK = re.compile(r"http://testserver(?P<path>/confirm-registration\?token=[\w-]+&lang=[\w-]+)")


@pytest.fixture(autouse=True)
def _links(settings):
    settings.PUBLIC_BASE_URL = "http://testserver"


@pytest.fixture
def browser():
    """A browser that sends the CSRF token like a real one (Django's test client skips the check by default)."""
    return Client(enforce_csrf_checks=True)


def submit(browser, path, data, **headers):
    """GET the page, then POST its form with the CSRF token it set."""
    page = browser.get(path, **headers)
    assert page.status_code == 200, page.content
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    return browser.post(path, {**data, "csrfmiddlewaretoken": token}, **headers)


def reset_link(django_capture_on_commit_callbacks, email="lina@example.com"):
    with django_capture_on_commit_callbacks(execute=True):
        services.send_password_reset(email)
    return RESET_LINK.search(mail.outbox[-1].body)["path"]


# /reset-password ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "headers", "language", "heading", "button"),
    [
        ("", {}, "zh-hans", "设置新密码", "设置新密码"),
        ("&lang=en", {}, "en", "Choose a new password", "Set the new password"),
        ("", {"HTTP_ACCEPT_LANGUAGE": "en"}, "en", "Choose a new password", "Set the new password"),
        ("&lang=zh-hans", {"HTTP_ACCEPT_LANGUAGE": "en"}, "zh-hans", "设置新密码", "设置新密码"),
    ],
)
def test_the_reset_link_opens_a_form_in_either_language(
    db, browser, django_capture_on_commit_callbacks, query, headers, language, heading, button
):
    UserFactory(email="lina@example.com")
    path = reset_link(django_capture_on_commit_callbacks).split("&lang=")[0] + query
    page = browser.get(path, **headers)
    assert page.status_code == 200
    assert page["Content-Language"] == language
    html = page.content.decode()
    assert f"<h1>{heading}</h1>" in html and button in html
    assert 'name="csrfmiddlewaretoken"' in html and 'type="password"' in html
    assert "<script" not in html


def test_the_reset_form_sets_the_password_signs_out_everywhere_and_works_once(
    db, browser, django_capture_on_commit_callbacks
):
    user = UserFactory(email="lina@example.com")
    AuthToken.objects.create(user=user)
    path = reset_link(django_capture_on_commit_callbacks)

    done = submit(browser, path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})

    assert done.status_code == 200
    assert "Your password was changed" in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not AuthToken.objects.exists()
    used = browser.get(path)
    assert used.status_code == 400
    assert "This reset link is invalid or has expired." in used.content.decode()


def test_a_bad_reset_link_shows_an_error_not_a_500(db, browser):
    user = UserFactory(email="lina@example.com")
    for path in ("/reset-password?uid=MQ&token=bad-token", "/reset-password?uid=!!&token=x",
                 "/reset-password?uid=OTk5OTk&token=x&lang=zh-hans", "/reset-password?token=only"):
        page = browser.get(path)
        assert page.status_code == 400, path
        html = page.content.decode()
        assert "invalid or has expired" in html or "无效或已过期" in html
        assert 'href="?lang=' in html  # a way to ask for a new link
    posted = Client().post("/reset-password?uid=MQ&token=bad-token",
                           {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert posted.status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("language", "messages"),
    [("en", ["This password is too short. It must contain at least 8 characters.", "This password is entirely numeric."]),
     ("zh-hans", ["密码太短，至少需要 8 个字符。", "密码只包含数字。"])],
)
def test_a_weak_new_password_is_refused_with_each_reason_in_the_page_language(
    db, browser, django_capture_on_commit_callbacks, language, messages
):
    user = UserFactory(email="lina@example.com")
    path = reset_link(django_capture_on_commit_callbacks).split("&lang=")[0] + f"&lang={language}"
    page = submit(browser, path, {"new_password": "1357924", "new_password_again": "1357924"})
    assert page.status_code == 400
    html = page.content.decode()
    for message in messages:
        assert message in html
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_two_different_passwords_are_refused(db, browser, django_capture_on_commit_callbacks):
    UserFactory(email="lina@example.com")
    path = reset_link(django_capture_on_commit_callbacks)
    page = submit(browser, path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "x"})
    assert page.status_code == 400
    assert "The two passwords differ." in page.content.decode()


def test_a_post_without_the_csrf_token_is_refused(db, browser, django_capture_on_commit_callbacks):
    user = UserFactory(email="lina@example.com")
    path = reset_link(django_capture_on_commit_callbacks)
    response = browser.post(path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_without_a_link_the_page_asks_for_one_and_says_the_same_for_any_address(
    db, browser, django_capture_on_commit_callbacks
):
    UserFactory(email="lina@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        known = submit(browser, "/reset-password?lang=en", {"email": "lina@example.com"})
        unknown = submit(browser, "/reset-password?lang=en", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert "a link to choose a new password is on its way" in known.content.decode()
    assert known.content.decode().replace("lina", "") == unknown.content.decode().replace("nobody", "")
    assert [message.to for message in mail.outbox] == [["lina@example.com"]]


def test_the_page_is_throttled_in_the_reset_scope(db, browser, django_capture_on_commit_callbacks, rates):
    rates(password_reset="1/h")
    UserFactory(email="lina@example.com")
    path = reset_link(django_capture_on_commit_callbacks)
    submit(browser, path, {"new_password": "1", "new_password_again": "1"})
    page = submit(browser, path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert page.status_code == 429
    assert 0 < int(page["Retry-After"]) <= 3600
    assert "Too many attempts" in page.content.decode() or "尝试次数过多" in page.content.decode()


# /confirm-registration ----------------------------------------------------------------------------

def confirm_link(api_client, capture, email="mei@example.com", password=NEW_PASSWORD, language="zh-hans"):
    with capture(execute=True):
        response = api_client.post("/api/v1/auth/register", {"email": email, "password": password, "language": language})
    assert response.status_code == 202
    return CONFIRM_LINK.search(mail.outbox[-1].body)["path"]


@pytest.mark.parametrize(("lang", "heading"), [("zh-hans", "确认您的注册"), ("en", "Confirm your registration")])
def test_the_confirmation_link_opens_a_page_that_confirms(db, api, browser, django_capture_on_commit_callbacks, lang, heading):
    path = confirm_link(api, django_capture_on_commit_callbacks, language=lang)
    page = browser.get(path)
    assert page.status_code == 200
    assert f"<h1>{heading}</h1>" in page.content.decode() and "mei@example.com" in page.content.decode()

    done = submit(browser, path, {"password": NEW_PASSWORD})

    assert done.status_code == 200
    assert "mei@example.com" in done.content.decode()
    user = User.objects.get(email="mei@example.com")
    assert user.check_password(NEW_PASSWORD) and user.language == lang
    again = browser.get(path)  # a second visit says the account exists and offers a reset
    assert again.status_code == 200 and f'href="/reset-password?lang={lang}"' in again.content.decode()


def test_the_confirmation_page_asks_for_the_password_chosen_when_registering(
    db, api, browser, django_capture_on_commit_callbacks
):
    path = confirm_link(api, django_capture_on_commit_callbacks, language="en")
    page = submit(browser, path, {"password": "someone-elses-guess"})
    assert page.status_code == 400
    assert "This is not the password you chose when you registered." in page.content.decode()
    assert not User.objects.exists()


def test_a_bad_or_expired_confirmation_link_shows_an_error_not_a_500(db, api, browser, django_capture_on_commit_callbacks):
    path = confirm_link(api, django_capture_on_commit_callbacks, language="en")
    Registration.objects.update(expires_at="2000-01-01T00:00:00Z")
    for target in (path, "/confirm-registration?token=nope", "/confirm-registration", "/confirm-registration?lang=en"):
        page = browser.get(target)
        assert page.status_code == 400, target
        assert "invalid or has expired" in page.content.decode() or "无效或已过期" in page.content.decode()
    assert Client().post(path, {"password": NEW_PASSWORD}).status_code == 400
    assert not User.objects.exists()


# Links follow the port `make run` serves on --------------------------------------------------------

@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_points_links_at_the_port_it_serves_on():
    def dry_run(*args, **env):
        result = subprocess.run(["make", "-n", "run", *args], cwd=django_settings.BASE_DIR, capture_output=True,
                                text=True, timeout=60, env={"PATH": "/usr/bin:/bin", **env})
        assert result.returncode == 0, result.stderr
        return [line for line in result.stdout.splitlines() if "load_demo" in line or "runserver" in line]

    lines = dry_run("PORT=8011")
    assert len(lines) == 2
    assert all("PUBLIC_BASE_URL='http://127.0.0.1:8011'" in line for line in lines), lines
    assert lines[1].endswith("runserver 127.0.0.1:8011")
    assert all("PUBLIC_BASE_URL='https://market.example.com'" in line
               for line in dry_run("PORT=8011", PUBLIC_BASE_URL="https://market.example.com"))
