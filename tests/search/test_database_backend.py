"""What only the database backend does: engine structures, the capped total, typo fallback on PostgreSQL."""
import pytest
from django.db import OperationalError, connection

from search.backends import database as database_module
from search.backends.base import SearchQuery, SearchUnavailable
from search.backends.database import DatabaseBackend
from search.schema import DOCUMENT_TABLE, FTS_TABLE
from tests.contract.corpus import create_corpus


@pytest.fixture
def backend(db):
    corpus = create_corpus()
    backend = DatabaseBackend()
    backend.rebuild(corpus.documents())
    backend.corpus = corpus
    return backend


def test_the_engine_structures_exist(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = %s", [FTS_TABLE])
            assert cursor.fetchone()
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [DOCUMENT_TABLE])
            assert cursor.fetchone()[0] == 3
        else:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name = 'search_vector'",
                [DOCUMENT_TABLE],
            )
            assert cursor.fetchone()
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [DOCUMENT_TABLE])
            assert {"search_doc_vector", "search_doc_title_prefix"} <= {row[0] for row in cursor.fetchall()}


def test_totals_are_exact_up_to_the_cap_and_a_lower_bound_beyond(backend, monkeypatch):
    monkeypatch.setattr(database_module, "TOTAL_CAP", 5)
    results = backend.search(SearchQuery(q="手机", page_size=2))
    assert (results.total, results.total_is_exact) == (5, False)
    short = backend.search(SearchQuery(q="鼠标", page_size=2))
    assert short.total_is_exact and short.total == 2


def test_the_index_table_follows_deletes_and_updates(backend):
    """The FTS5 triggers (SQLite) and the generated column (PostgreSQL) follow the document table."""
    listing_id = backend.corpus.id("b-santi")
    document = next(d for d in backend.corpus.documents() if d["id"] == listing_id)
    backend.index([{**document, "title_tokens": "qiuzhuang"}])
    assert backend.search(SearchQuery(q="三体")).total == 0
    assert [h.id for h in backend.search(SearchQuery(q="qiuzhuang")).hits] == [listing_id]
    backend.delete([listing_id])
    assert backend.search(SearchQuery(q="qiuzhuang")).total == 0
    backend.delete([listing_id])  # deleting what is gone is fine


def test_a_database_that_cannot_answer_makes_search_unavailable(backend, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(backend, "_search", broken)
    with pytest.raises(SearchUnavailable):
        backend.search(SearchQuery(q="手机"))


def test_sqlite_claims_no_typo_tolerance(backend):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert backend.capabilities == frozenset()
    assert backend.search(SearchQuery(q="iphnoe")).total == 0


@pytest.mark.postgres
def test_postgresql_forgives_typos_with_trigrams_only_when_nothing_matched(backend):
    assert backend.capabilities == frozenset({"typos"})
    found = backend.corpus.keys(h.id for h in backend.search(SearchQuery(q="iphnoe", page_size=50)).hits)
    assert "p-iphone13" in found and "p-samsung-s22" not in found
    # A mixed query still needs its Chinese word: typo tolerance applies per word.
    mixed = backend.corpus.keys(h.id for h in backend.search(SearchQuery(q="iphnoe 手机壳")).hits)
    assert mixed == ["a-case-iphone13", "p-iphone13"]  # the case, then the phone sold with one
    # A word that matches exactly is not widened.
    assert backend.search(SearchQuery(q="iphone 13")).total == 2
