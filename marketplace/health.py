"""Readiness probes of the services a deployment depends on, each bounded in time.

    dependencies() -> {"database": {...}, "search": {...}, "broker": {...}, "cache": {...}}

Each entry has a `state` ("up", "down", or "off" when the deployment does not use it) and
`required` (a required dependency that is down makes the whole answer unavailable). The probes
run at once, each in a thread of its own; one that has not answered within
HEALTH_PROBE_TIMEOUT seconds counts as down ("timeout"), and the answer does not wait for it.
Errors are named by their class only: the endpoint is public.
"""
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from kombu import Connection

# Imported with this module (when the URLs load), not in the first probe: an import is slow
# enough on a busy machine to run a probe out of its time.
from search.backends.elasticsearch import ElasticsearchBackend

UP, DOWN, OFF = "up", "down", "off"


class ProbeFailed(Exception):
    """The service answered, but not as a healthy one does."""


def _timeout() -> float:
    return float(getattr(settings, "HEALTH_PROBE_TIMEOUT", 2.0))


def probe_database() -> dict:
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


_search_probes: dict = {}


def probe_search() -> dict:
    if settings.SEARCH_BACKEND != "elasticsearch":
        # The database backend searches in the database: its state is the database's.
        return {"backend": settings.SEARCH_BACKEND, "same_as": "database"}
    # One client per address, reused between probes; no retries: a probe answers now or never.
    key = (settings.ELASTICSEARCH_URL, _timeout())
    backend = _search_probes.get(key)
    if backend is None:
        backend = _search_probes[key] = ElasticsearchBackend(
            url=settings.ELASTICSEARCH_URL, request_timeout=_timeout(), max_retries=0
        )
    cluster_status = backend.health().get("status")
    if cluster_status == "red":
        raise ProbeFailed("cluster status red")
    return {"backend": "elasticsearch", "cluster_status": cluster_status}


def probe_broker() -> dict:
    timeout = _timeout()
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        connection.default_channel  # noqa: B018  (opening a channel is what proves the broker serves)
    return {"tasks": "celery"}


def probe_cache() -> dict:
    cache = caches["default"]
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise ProbeFailed("a value written was not read back")
    cache.delete(key)
    return {"backend": type(cache).__name__}


def _plan() -> dict:
    """name -> (probe or None when the deployment does not use it, required, facts when off)."""
    broker = settings.CELERY_BROKER_URL
    return {
        "database": (probe_database, True, {}),
        "search": (probe_search, True, {}),
        "broker": (probe_broker if broker else None, bool(broker), {"tasks": "eager"}),
        "cache": (probe_cache, True, {}),
    }


def _timed(probe):
    """Run in a thread of its own: the database connections it opened (the database probe, a
    database cache) are closed when it is done, not left behind by the thread."""
    started = time.monotonic()
    try:
        facts = probe()
    finally:
        connections.close_all()
    return {**facts, "ms": round((time.monotonic() - started) * 1000, 1)}


def dependencies() -> dict:
    plan = _plan()
    results: dict = {}
    pool = ThreadPoolExecutor(max_workers=len(plan), thread_name_prefix="healthz")
    try:
        futures = {name: pool.submit(_timed, probe) for name, (probe, _required, _facts) in plan.items() if probe}
        deadline = time.monotonic() + _timeout()
        for name, (probe, required, facts) in plan.items():
            if probe is None:
                results[name] = {"state": OFF, "required": False, **facts}
                continue
            try:
                found = futures[name].result(timeout=max(0.0, deadline - time.monotonic()))
                results[name] = {"state": UP, "required": required, **found}
            except FutureTimeout:
                results[name] = {"state": DOWN, "required": required, "error": "timeout"}
            except Exception as error:
                results[name] = {"state": DOWN, "required": required, "error": error.__class__.__name__}
    finally:
        # A probe still hanging is left to its own socket timeout; the answer does not wait.
        pool.shutdown(wait=False, cancel_futures=True)
    search = results["search"]
    if search.pop("same_as", None) == "database":
        search.pop("ms", None)
        search["state"] = results["database"]["state"]
    return results


def healthy(results: dict) -> bool:
    return all(entry["state"] != DOWN for entry in results.values() if entry["required"])
