"""Fixtures shared by every test package."""
import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import OrganizationFactory, StaffFactory, UserFactory


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
