"""Fixtures for the Elasticsearch backend: a throwaway index prefix per test session and worker.

Tests that need the node skip (with the reason shown) when ELASTICSEARCH_URL does not answer
_cluster/health; SEARCH_REQUIRE_ELASTICSEARCH=1 (CI) turns that skip into a failure.
"""
import os
import uuid

import pytest

from search.backends.elasticsearch import ElasticsearchBackend
from tests.search.elasticsearch.support import SESSION_PREFIX, node_problem


@pytest.fixture(scope="session")
def elasticsearch_node():
    problem = node_problem()
    if problem:
        if os.environ.get("SEARCH_REQUIRE_ELASTICSEARCH") == "1":
            pytest.fail(problem)
        pytest.skip(problem)


@pytest.fixture
def es_prefix(worker_id):
    return f"{SESSION_PREFIX}_{worker_id}_{uuid.uuid4().hex[:6]}"


@pytest.fixture
def es_settings(settings, elasticsearch_node, es_prefix):
    """SEARCH_BACKEND=elasticsearch on a fresh prefix, writes visible at once; indices dropped after."""
    from search import service

    settings.SEARCH_BACKEND = "elasticsearch"
    settings.ELASTICSEARCH_INDEX_PREFIX = es_prefix
    settings.ELASTICSEARCH_REFRESH = "wait_for"
    service.reset_backends()
    url = settings.ELASTICSEARCH_URL
    yield settings
    # A test may have pointed the URL at a closed port: clean up on the real node.
    ElasticsearchBackend(url=url, index_prefix=es_prefix).clear()
    service.reset_backends()


@pytest.fixture
def es_backend(es_settings):
    from search import service

    return service.get_backend()
