"""Throttles of signing in, registering and resetting, and the shared cache that holds them.

Sign-in is limited per client address and, across addresses, per account; registration and
password reset have scopes of their own. The counters must be shared by every worker process,
so production never keeps them in per-process memory.
"""
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from marketplace.api.throttling import parse_rate
from tests.factories import PASSWORD, UserFactory
from tests.helpers import assert_error_shape

WRONG = "not-the-password"


def from_address(address):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


def sign_in(client, login, password=PASSWORD):
    return client.post("/api/v1/auth/login", {"login": login, "password": password})


def test_a_class_of_forty_behind_one_school_address_all_sign_in_within_a_minute(db):
    """With the default rates: forty students, one address, one minute."""
    students = [UserFactory(email=f"student{n}@school.example.com") for n in range(40)]
    school = from_address("203.0.113.40")
    statuses = [sign_in(school, student.email).status_code for student in students]
    assert statuses == [200] * 40


def test_the_eleventh_wrong_password_for_one_account_is_refused_from_any_address(db):
    """With the default rates (10 failed sign-ins per account in 15 minutes)."""
    UserFactory(email="lina@example.com", phone="+8613800138000")
    spellings = ["lina@example.com", "LINA@example.com", " Lina@Example.com "]
    for n in range(10):
        response = sign_in(from_address(f"198.51.100.{n}"), spellings[n % 3], WRONG)
        assert_error_shape(response, 401, "authentication_failed")

    response = sign_in(from_address("198.51.100.200"), "lina@example.com", WRONG)

    assert_error_shape(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    # Bounded: the right password does not get through either, by e-mail or by phone number, until then.
    assert_error_shape(sign_in(from_address("198.51.100.201"), "lina@example.com"), 429, "throttled")
    assert_error_shape(sign_in(from_address("198.51.100.202"), "138 0013 8000", WRONG), 429, "throttled")
    # Other accounts, from the same addresses, are not affected.
    UserFactory(email="wang@example.com")
    assert sign_in(from_address("198.51.100.0"), "wang@example.com").status_code == 200


def test_the_phone_number_of_an_account_is_one_login_in_every_spelling(db, rates):
    rates(login_account="3/15min")
    UserFactory(email=None, phone="+8613800138000")
    for n, spelling in enumerate(["13800138000", "+86 138 0013 8000", "0086-138-0013-8000"]):
        assert sign_in(from_address(f"198.51.100.{n}"), spelling, WRONG).status_code == 401
    assert_error_shape(sign_in(from_address("198.51.100.9"), "138-0013-8000"), 429, "throttled")


def test_successful_sign_ins_do_not_use_up_the_accounts_budget(db, rates):
    rates(login_account="3/15min")
    UserFactory(email="lina@example.com")
    for n in range(6):
        assert sign_in(from_address(f"198.51.100.{n}"), "lina@example.com").status_code == 200
    for n in range(3):
        assert sign_in(from_address(f"198.51.100.{n}"), "lina@example.com", WRONG).status_code == 401
    assert_error_shape(sign_in(from_address("198.51.100.9"), "lina@example.com"), 429, "throttled")


def test_sign_in_is_limited_per_address_whatever_the_account(db, rates):
    rates(login="3/min")
    school = from_address("203.0.113.40")
    for n in range(3):
        assert sign_in(school, f"nobody{n}@example.com", WRONG).status_code == 401

    response = sign_in(school, "someone-else@example.com", WRONG)

    body = assert_error_shape(response, 429, "throttled")
    assert body["title"] == "Too many requests."
    assert 0 < int(response["Retry-After"]) <= 60
    assert sign_in(from_address("203.0.113.41"), "someone-else@example.com", WRONG).status_code == 401


def test_a_forged_forwarded_for_header_does_not_reset_the_address_limit(db, rates):
    rates(login="2/min")
    client = from_address("203.0.113.40")
    responses = [
        client.post("/api/v1/auth/login", {"login": f"a{n}@example.com", "password": WRONG},
                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        for n in range(3)
    ]
    assert [r.status_code for r in responses] == [401, 401, 429]


def test_registration_and_password_reset_have_scopes_of_their_own(db, rates):
    rates(register="2/h", password_reset="2/h")
    client = from_address("203.0.113.40")
    UserFactory(email="lina@example.com")

    def register():
        return client.post("/api/v1/auth/register", {"email": "mei@example.com", "password": "another-long-secret-42"})

    def reset():
        return client.post("/api/v1/auth/password/reset", {"email": "lina@example.com"})

    def reset_confirm():
        return client.post("/api/v1/auth/password/reset/confirm", {"uid": "MQ", "token": "x", "new_password": "y" * 9})

    def register_confirm():
        return client.post("/api/v1/auth/register/confirm", {"token": "x", "password": "y"})

    assert [register().status_code, register_confirm().status_code] == [202, 400]
    assert_error_shape(register(), 429, "throttled")
    assert_error_shape(register_confirm(), 429, "throttled")
    # Registering used up its own scope only: reset and sign-in go on from the same address.
    assert [reset().status_code, reset_confirm().status_code] == [202, 400]
    assert_error_shape(reset(), 429, "throttled")
    assert_error_shape(reset_confirm(), 429, "throttled")
    assert sign_in(client, "lina@example.com").status_code == 200


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [("100/min", (100, 60)), ("10/15min", (10, 900)), ("20/h", (20, 3600)), ("5/2d", (5, 172800)),
     ("3/30s", (3, 30)), (" 7 / 1 hour ", (7, 3600)), (None, (None, None))],
)
def test_rates_may_name_a_count_of_periods(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["ten/min", "10", "10/fortnight", "10/-5m"])
def test_an_unreadable_rate_is_refused(rate):
    with pytest.raises(ImproperlyConfigured):
        parse_rate(rate)


# The cache the counters live in --------------------------------------------------------------------

def start(**env):
    """Start Django in a fresh process with these environment variables; returns the process result."""
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "MARKETPLACE_ENV", "CACHE_URL"}}
    clean.update(DJANGO_SETTINGS_MODULE="marketplace.settings", **env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default'])"
    return subprocess.run([sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=clean,
                          capture_output=True, text=True, timeout=60)


PRODUCTION = {"MARKETPLACE_ENV": "production", "SECRET_KEY": "k3J9x-7Qw2Lm4Pz8Rt6Yv1Bn5Hc0Dg-Fs3Ae9Uo-8TnWq2Zr5Kx7Mb4Jd",
              "ALLOWED_HOSTS": "market.example.com"}


def test_production_keeps_the_counters_in_the_database_unless_told_otherwise():
    result = start(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "DatabaseCache" in result.stdout and "marketplace_cache" in result.stdout
    assert "'MAX_ENTRIES': 200000" in result.stdout  # Django's 300 would cull live counters

    redis = start(**PRODUCTION, CACHE_URL="redis://127.0.0.1:6379/1")
    assert redis.returncode == 0, redis.stderr
    assert "RedisCache" in redis.stdout


def test_production_refuses_per_process_counters():
    result = start(**PRODUCTION, CACHE_URL="locmem://")
    assert result.returncode != 0
    assert "Refusing to start in production mode" in result.stderr and "per worker" in result.stderr


def test_development_uses_local_memory_and_an_unknown_cache_url_is_refused():
    assert "LocMemCache" in start().stdout
    result = start(CACHE_URL="memcached://127.0.0.1")
    assert result.returncode != 0 and "CACHE_URL must be" in result.stderr


def test_migrate_makes_the_database_cache_table_and_the_counters_hold_across_connections(db, rates):
    rates(login_account="2/15min")
    UserFactory(email="lina@example.com")
    database_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "marketplace_cache_test"}
    with override_settings(CACHES={"default": database_cache}):
        call_command("migrate", verbosity=0)  # post_migrate: createcachetable
        for n in range(2):
            assert sign_in(from_address(f"198.51.100.{n}"), "lina@example.com", WRONG).status_code == 401
            caches.close_all()  # the next request may be another worker: nothing is kept in this process
        assert_error_shape(sign_in(from_address("198.51.100.9"), "lina@example.com", WRONG), 429, "throttled")
