"""The health endpoint and the OpenAPI schema."""
from django.core.management import call_command
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from drf_spectacular.drainage import GENERATOR_STATS


def test_health_reports_each_part(api, db, settings):
    settings.STRIPE_SECRET_KEY = ""
    response = api.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    for entry in body["checks"].values():
        entry.pop("ms", None)
    assert body == {
        "status": "ok",
        "checks": {
            "database": {"state": "up", "required": True,
                         "vendor": "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"},
            "search": {"state": "up", "required": True, "backend": "database"},
            "broker": {"state": "off", "required": False, "tasks": "eager"},
            "cache": {"state": "up", "required": True, "backend": "LocMemCache"},
        },
        "search_backend": settings.SEARCH_BACKEND,
        "tasks": settings.TASK_MODE,
        "payments": "offline",
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_health_is_503_when_the_database_fails(api, db, monkeypatch):
    def broken_cursor(self, *args, **kwargs):
        raise OperationalError("connection refused")

    # Scoped to the request: the test database itself must still roll back afterwards.
    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "cursor", broken_cursor)
        response = api.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"state": "down", "required": True, "error": "OperationalError"}
    # The database backend searches in the database: it is down with it.
    assert body["checks"]["search"]["state"] == "down"
    assert "connection refused" not in response.content.decode()


def test_schema_generates_and_validates_without_warnings(db, tmp_path):
    GENERATOR_STATS.reset()  # counts from schemas generated earlier in this process are not ours
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for route in ("/api/v1/auth/login", "/api/v1/organizations/{id}/verify/", "/api/v1/notifications/unread-count/"):
        assert route in schema


def test_schema_and_docs_are_served(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"]
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_api_root_links_the_main_collections(api, db):
    links = api.get("/api/v1/").json()
    assert {"me", "organizations", "notifications", "schema", "docs"} <= set(links)
