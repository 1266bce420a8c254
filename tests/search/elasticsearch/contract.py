"""The contract suite's hook (tests/contract/conftest.py): an Elasticsearch backend on a throwaway index.

Each call gets its own index prefix, so parallel runs and workers never share an index, and
writes wait for a refresh so the next search sees them. Skips, with the reason, when the node
at ELASTICSEARCH_URL does not answer _cluster/health.
"""
import uuid

import pytest

from search.backends.elasticsearch import ElasticsearchBackend
from tests.search.elasticsearch.support import SESSION_PREFIX, node_problem

_checked: dict[str, str | None] = {}


def contract_backend() -> ElasticsearchBackend:
    if "problem" not in _checked:
        _checked["problem"] = node_problem()
    if _checked["problem"]:
        pytest.skip(_checked["problem"])
    return ElasticsearchBackend(index_prefix=f"{SESSION_PREFIX}_contract_{uuid.uuid4().hex[:8]}", refresh="wait_for")
