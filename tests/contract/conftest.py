"""The contract suite: one set of tests, run against every search backend.

`search_backend` is parametrized by backend name; each instance is cleared and fed the fixed
corpus (data/corpus.json) before the test and cleared after it; `dev_backend` the same with the
development set of issue 24 (data/dev/corpus.json):

- "database": the database backend on whatever database the run uses (SQLite by default,
  PostgreSQL when DATABASE_URL is postgres://...).
- "elasticsearch": built by the Elasticsearch engineer's hook, `contract_backend()` in
  tests/search/elasticsearch/contract.py, which returns a backend on a throw-away index (or
  calls pytest.skip with the reason when no node answers). SEARCH_REQUIRE_ELASTICSEARCH=1 turns
  that skip into a failure (CI).

`use_backend` additionally routes the project's search service (search.index, search.search,
the indexing tasks, the API) to that backend, for the freshness and API tests.
"""
import importlib
import os

import pytest

from search import service
from search.backends.database import DatabaseBackend
from tests.contract.corpus import DATA, DEV_DATA, create_corpus

BACKENDS = ["database", "elasticsearch"]


def _elasticsearch_backend():
    required = os.environ.get("SEARCH_REQUIRE_ELASTICSEARCH") == "1"
    try:
        hook = importlib.import_module("tests.search.elasticsearch.contract")
    except ModuleNotFoundError as exc:
        if exc.name and not exc.name.startswith("tests.search.elasticsearch"):
            raise
        reason = "no Elasticsearch contract hook (tests/search/elasticsearch/contract.py) yet"
        if required:
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        return hook.contract_backend()
    except pytest.skip.Exception as skipped:
        if required:
            pytest.fail(f"SEARCH_REQUIRE_ELASTICSEARCH=1 but: {skipped}")
        raise


def _created(directory, monkeypatch):
    created = create_corpus(directory)
    certified = {created.id(key) for key, record in created.records.items() if record["certified"]}
    # Certification decides which listings are certified; the corpus says it directly.
    monkeypatch.setattr("search.documents.certified_ids", lambda ids: certified & set(ids))
    return created


def _indexed(name, corpus):
    backend = DatabaseBackend() if name == "database" else _elasticsearch_backend()
    backend.clear()
    backend.index(corpus.documents())
    return backend


@pytest.fixture
def corpus(db, monkeypatch):
    return _created(DATA, monkeypatch)


@pytest.fixture(params=BACKENDS)
def search_backend(request, corpus):
    backend = _indexed(request.param, corpus)
    yield backend
    backend.clear()


@pytest.fixture
def dev_corpus(db, monkeypatch):
    """The development set of issue 24 (data/dev/): Xianyu-style posts for every class of query."""
    return _created(DEV_DATA, monkeypatch)


@pytest.fixture(params=BACKENDS)
def dev_backend(request, dev_corpus):
    backend = _indexed(request.param, dev_corpus)
    yield backend
    backend.clear()


@pytest.fixture
def use_backend(search_backend, settings):
    """Route search.service (and so the indexing pipeline and the API) to the backend under test."""
    settings.SEARCH_BACKEND = search_backend.name
    saved = dict(service._backends)
    service._backends[search_backend.name] = search_backend
    yield search_backend
    service._backends.clear()
    service._backends.update(saved)
