"""MARKETPLACE_ENV=production refuses unsafe settings at start-up, starts with safe ones, and passes
Django's deployment checks (issue 22, item 7)."""
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from marketplace.env import env_bool, env_int, env_list

GOOD = {
    "MARKETPLACE_ENV": "production",
    "SECRET_KEY": "k3J9x-7Qw2Lm4Pz8Rt6Yv1Bn5Hc0Dg-Fs3Ae9Uo-8TnWq2Zr5Kx7Mb4Jd",
    "ALLOWED_HOSTS": "market.example.com",
}
SETUP = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_SECURE)"


OURS = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "MARKETPLACE_ENV", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"}


def run(args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    clean.update(DJANGO_SETTINGS_MODULE="marketplace.settings", **env)
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=120
    )


def start(**env):
    return run(["-c", SETUP], **env)


def test_a_safe_production_configuration_starts_with_secure_cookies():
    result = start(**GOOD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),  # unset: the development key would be used
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "k3J9x-7Qw2Lm4Pz8Rt6Yv1Bn5Hc0Dg-Fs3Ae9Uo"}, "SECRET_KEY must be set"),  # 40: below Django's 50
        ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY must be set"),  # long, but two characters
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name the hosts"),
    ],
)
def test_unsafe_production_settings_are_refused(override, message):
    env = {key: value for key, value in {**GOOD, **override}.items() if value is not None}
    result = start(**env)
    assert result.returncode != 0
    assert "Refusing to start in production mode" in result.stderr
    assert message in result.stderr


def test_every_problem_is_named_at_once():
    result = start(MARKETPLACE_ENV="production", DEBUG="true")
    assert result.returncode != 0
    for message in ("DEBUG must be off", "SECRET_KEY must be set", "ALLOWED_HOSTS must name the hosts"):
        assert message in result.stderr


def test_env_readers_refuse_values_they_cannot_read(monkeypatch):
    monkeypatch.setenv("X_FLAG", "perhaps")
    monkeypatch.setenv("X_NUMBER", "ten")
    monkeypatch.setenv("X_LIST", " a, ,b ,")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be a boolean"):
        env_bool("X_FLAG")
    with pytest.raises(ImproperlyConfigured, match="X_NUMBER must be an integer"):
        env_int("X_NUMBER", 1)
    assert env_list("X_LIST") == ["a", "b"]
    monkeypatch.setenv("X_FLAG", " Off ")
    assert env_bool("X_FLAG", default=True) is False
    monkeypatch.delenv("X_FLAG")
    assert env_bool("X_FLAG", default=True) is True


# check --deploy -----------------------------------------------------------------------------------

def check_deploy(**env):
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)


def test_the_deployment_checks_pass_with_the_production_defaults():
    result = check_deploy(**GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_checks_pass_behind_a_tls_terminating_proxy():
    result = check_deploy(**GOOD, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto", SECURE_HSTS_SECONDS="300")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("override", "warning"), [
    ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
    ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
    ({"SECURE_HSTS_INCLUDE_SUBDOMAINS": "0"}, "security.W005"),
])
def test_turning_a_protection_off_is_what_the_checks_report(override, warning):
    result = check_deploy(**GOOD, **override)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


PRINT_PROXY = ("import django; django.setup(); from django.conf import settings; "
               "print(settings.SECURE_PROXY_SSL_HEADER, settings.SECURE_HSTS_SECONDS, settings.SECURE_SSL_REDIRECT)")


def test_the_proxy_header_is_trusted_only_when_named():
    assert run(["-c", PRINT_PROXY], **GOOD).stdout.split() == ["None", "31536000", "True"]
    named = run(["-c", PRINT_PROXY], **GOOD, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert named.stdout.startswith("('HTTP_X_FORWARDED_PROTO', 'https')"), named.stderr
    refused = run(["-c", PRINT_PROXY], **GOOD, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https")
    assert refused.returncode != 0 and "SECURE_PROXY_SSL_HEADER must be a header name" in refused.stderr


def test_development_neither_redirects_nor_sends_hsts():
    result = run(["-c", PRINT_PROXY], MARKETPLACE_ENV="development")
    assert result.stdout.split() == ["None", "0", "False"], result.stderr


class TestHttpsInProduction:
    """The production settings at work (in this process, as settings overrides)."""

    @pytest.fixture
    def production_https(self, settings):
        settings.SECURE_SSL_REDIRECT = True
        settings.SECURE_HSTS_SECONDS = 31_536_000
        settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        settings.SECURE_HSTS_PRELOAD = True
        return settings

    def test_plain_http_is_redirected_to_https(self, db, production_https):
        response = Client().get("/api/v1/")
        assert response.status_code == 301
        assert response["Location"] == "https://testserver/api/v1/"

    def test_https_answers_with_hsts(self, db, production_https):
        response = Client().get("/api/v1/", secure=True)
        assert response.status_code == 200
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"

    def test_health_probes_over_plain_http_are_not_redirected(self, db, production_https):
        assert Client().get("/livez").status_code == 200
        assert Client().get("/healthz").status_code == 200

    def test_the_forwarded_proto_counts_only_when_the_proxy_header_is_configured(self, db, production_https):
        assert Client().get("/api/v1/", HTTP_X_FORWARDED_PROTO="https").status_code == 301
        production_https.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        assert Client().get("/api/v1/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
