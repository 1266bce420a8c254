"""Fixtures shared by every test package."""
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from accounts.models import OrganizationKind, Role
from tests.factories import OrganizationFactory, StaffFactory, UserFactory, member_of


@pytest.fixture(autouse=True)
def _isolated_state(settings, tmp_path):
    """Each test: fresh throttle counters, its own media folder, fast password hashing, English."""
    cache.clear()
    # PBKDF2's deliberate slowness buys nothing in tests, which hash many passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Code outside a request speaks English in tests unless a test overrides it: a language a
    # previous request activated must not leak into the next test.
    translation.activate("en")
    yield
    translation.deactivate()
    cache.clear()


@pytest.fixture
def api():
    """An anonymous API client speaking English."""
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def client_for():
    """client_for(user) -> an API client authenticated as that user (force_authenticate)."""

    def make(user):
        client = APIClient()
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def org(db):
    return OrganizationFactory()


@pytest.fixture
def shop(db):
    """A verified merchant organization."""
    return OrganizationFactory(kind=OrganizationKind.MERCHANT)


@pytest.fixture
def shop_admin(shop):
    return member_of(shop, Role.ADMIN)


@pytest.fixture
def shop_member(shop):
    return member_of(shop, Role.MEMBER)


@pytest.fixture
def admin_user(db):
    """A superuser (replaces pytest-django's, which does not know our user model's fields)."""
    return StaffFactory(is_superuser=True)


@pytest.fixture
def admin_client(admin_user):
    """A Django test client signed in to the admin as `admin_user`, speaking English."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_user)
    return client


@pytest.fixture
def rates(settings):
    """rates(login="2/min", ...) overrides throttle rates for this test; DRF re-reads its settings."""

    def override(**overrides):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **overrides},
        }
        for scope, rate in overrides.items():
            assert api_settings.DEFAULT_THROTTLE_RATES[scope] == rate

    return override


def pytest_collection_modifyitems(config, items):
    _seeded_rows_after_every_flush(items)
    _postgres_only(items)


def _seeded_rows_after_every_flush(items):
    """A transactional test (`django_db(transaction=True)`) ends by emptying every table, the rows
    the data migrations seeded (categories) included. Django's rollback emulation
    (`serialized_rollback`) loads them again before each such test, so each one starts from the
    migrated database as the others do. Grading is left out: its triggers refuse to insert the
    levels of a published standard, so a transactional test finds no grading standards."""
    from django.conf import settings

    settings.TEST_NON_SERIALIZED_APPS = ["grading"]
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("transaction") and "serialized_rollback" not in marker.kwargs:
            item.add_marker(pytest.mark.django_db(**marker.kwargs, serialized_rollback=True), append=False)


def _postgres_only(items):
    """Tests marked `postgres` need PostgreSQL: on SQLite they are skipped, with the reason shown."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
