"""Helpers shared by the Elasticsearch tests and the contract suite's hook."""
import uuid

from django.conf import settings

from search.backends.base import SearchUnavailable
from search.backends.elasticsearch import ElasticsearchBackend

# One prefix per test session (and xdist worker, added by the fixtures): parallel runs never clash.
SESSION_PREFIX = f"test_{uuid.uuid4().hex[:8]}"
# A port nothing listens on: connections are refused at once.
CLOSED_URL = "http://127.0.0.1:9"


def node_problem() -> str | None:
    """None when the node answers _cluster/health, else why not."""
    try:
        health = ElasticsearchBackend(request_timeout=2, max_retries=0).health()
    except SearchUnavailable as error:
        return f"Elasticsearch is not reachable at {settings.ELASTICSEARCH_URL}: {error}"
    if health.get("status") == "red":
        return f"Elasticsearch at {settings.ELASTICSEARCH_URL} is red"
    return None
