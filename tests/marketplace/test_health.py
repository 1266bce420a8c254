"""/healthz reports each dependency and answers 503 when one the deployment needs is down; /livez
only says the process serves (issue 22, item 8: /healthz said ok while Elasticsearch was down)."""
import socket
import time

import pytest

from marketplace import health
from search.service import reset_backends


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def elasticsearch_down(settings):
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_URL = f"http://127.0.0.1:{closed_port()}"
    reset_backends()
    yield settings
    reset_backends()


def test_the_embedded_defaults_are_healthy(api, db):
    response = api.get("/healthz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert {name: entry["state"] for name, entry in checks.items()} == {
        "database": "up", "search": "up", "broker": "off", "cache": "up",
    }


def test_elasticsearch_down_is_503_with_search_down(api, db, elasticsearch_down):
    response = api.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["search"]["state"] == "down" and body["checks"]["search"]["required"] is True
    assert body["checks"]["database"]["state"] == "up"
    assert elasticsearch_down.ELASTICSEARCH_URL not in response.content.decode()  # no addresses leak


@pytest.mark.elasticsearch
def test_a_running_elasticsearch_node_is_up(api, db, settings):
    from search.backends.base import SearchUnavailable
    from search.backends.elasticsearch import ElasticsearchBackend

    try:
        ElasticsearchBackend(url=settings.ELASTICSEARCH_URL, request_timeout=2, max_retries=0).health()
    except SearchUnavailable:
        pytest.skip(f"no Elasticsearch node answers at {settings.ELASTICSEARCH_URL}")
    settings.SEARCH_BACKEND = "elasticsearch"
    response = api.get("/healthz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["search"]["state"] == "up"
    assert response.json()["checks"]["search"]["cluster_status"] in {"green", "yellow"}


def test_a_configured_broker_that_is_down_is_503(api, db, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = api.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == {"state": "down", "required": True, "error": "OperationalError"}


def test_a_shared_cache_that_is_down_is_503(api, db, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    # Only the probe's cache: the test's own teardown clears the real one.
    monkeypatch.setattr(health, "caches", {"default": RedisCache(f"redis://127.0.0.1:{closed_port()}/1", {})})
    response = api.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["state"] == "down"


def test_a_probe_that_hangs_counts_as_down_after_the_timeout(api, db, settings, monkeypatch):
    settings.HEALTH_PROBE_TIMEOUT = 0.5

    def hang():
        time.sleep(5)
        return {}

    monkeypatch.setattr(health, "probe_cache", hang)
    started = time.monotonic()
    response = api.get("/healthz")
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"state": "down", "required": True, "error": "timeout"}
    assert waited < 4  # the answer did not wait for the hanging probe (5 s)


def test_liveness_is_200_even_when_dependencies_are_down(api, db, elasticsearch_down, monkeypatch):
    def fail():
        raise AssertionError("liveness must not probe dependencies")

    for name in ("probe_database", "probe_search", "probe_broker", "probe_cache"):
        monkeypatch.setattr(health, name, fail)
    response = api.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert api.get("/healthz").status_code == 503
