"""What only the database backend does: engine structures, the capped total, typo fallback on PostgreSQL."""
from decimal import Decimal

import pytest
from django.db import OperationalError, connection

from search.backends import database as database_module
from search.backends.base import SearchQuery, SearchUnavailable
from search.backends.database import DatabaseBackend
from search.schema import DOCUMENT_TABLE, FTS_TABLE
from search.selectors import listing_cards
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


def test_the_category_path_holds_the_category_and_its_ancestors(backend):
    """The category facet groups by the stored path; it must hold what the category rows hold."""
    from search.models import ListingSearchCategory, ListingSearchDocument

    rows = {}
    for document_id, category_id in ListingSearchCategory.objects.values_list("document_id", "category_id"):
        rows.setdefault(document_id, set()).add(category_id)
    paths = dict(ListingSearchDocument.objects.values_list("listing_id", "category_path"))
    assert paths and all(path for path in paths.values())
    assert {key: {int(c) for c in path.split()} for key, path in paths.items()} == rows


def test_migration_0003_fills_the_category_path_of_documents_indexed_before_it(backend):
    import importlib

    from django.db import connection as conn

    from search.models import ListingSearchDocument

    expected = dict(ListingSearchDocument.objects.values_list("listing_id", "category_path"))
    ListingSearchDocument.objects.update(category_path=None)
    migration = importlib.import_module("search.migrations.0003_facet_columns")
    class Editor:  # what the migration uses of a schema editor (SQLite refuses one inside a test's transaction)
        connection = conn

        @staticmethod
        def execute(sql, params=()):
            with conn.cursor() as cursor:
                cursor.execute(sql, params)

    if conn.vendor == "postgresql":  # no pending deferred checks before CREATE INDEX in the test's transaction
        Editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration.forwards(None, Editor())
    filled = dict(ListingSearchDocument.objects.values_list("listing_id", "category_path"))
    assert {k: set(v.split()) for k, v in filled.items()} == {k: set(v.split()) for k, v in expected.items()}


def _cells() -> dict[tuple, int]:
    from search.models import ListingSearchFacetCell
    from search.schema import FACET_CELL_KEY

    return {tuple(row[:-1]): row[-1]
            for row in ListingSearchFacetCell.objects.values_list(*FACET_CELL_KEY, "documents")}


def _recounted_cells() -> dict[tuple, int]:
    from search.schema import fill_facet_cells

    fill_facet_cells(connection)
    return _cells()


def test_the_facet_cells_count_the_documents_through_every_kind_of_write(backend):
    """Cells are kept in step by index() and delete() (and recounted by rebuild()): after edits
    that move documents between cells, deletes, re-deletes and re-indexing they equal a recount."""
    documents = {d["id"]: d for d in backend.corpus.documents()}
    assert _cells() == _recounted_cells() and sum(_cells().values()) == len(documents)
    santi, iphone, sofa = (backend.corpus.id(key) for key in ("b-santi", "p-iphone13", "f-desk-ikea"))
    backend.index([
        {**documents[santi], "city": "柳州市", "price_fen": 999_999_00},   # another city and price bucket
        {**documents[iphone], "kind": "refurbished", "grade_code": "C", "inspected": True},
        documents[sofa],                                                   # the same cell again
    ])
    after_edits = _cells()
    assert after_edits == _recounted_cells()
    backend.delete([iphone, santi])
    backend.delete([iphone])  # deleting what is gone changes nothing
    after_deletes = _cells()
    assert after_deletes == _recounted_cells()
    assert sum(after_deletes.values()) == len(documents) - 2
    assert all(count > 0 for count in after_deletes.values())  # emptied cells are removed
    backend.index([documents[iphone], documents[santi]])
    assert _cells() == _recounted_cells() and sum(_cells().values()) == len(documents)


def test_searches_without_words_count_facets_from_the_cells(backend, django_assert_max_num_queries):
    """Browsing facets (no words, radius or price range) are sums over the cells: changing a cell's
    count shows in the facets, so they were not counted from the documents."""
    from search.models import ListingSearchFacetCell

    before = backend.search(SearchQuery(kind="second_hand"))
    cell = ListingSearchFacetCell.objects.filter(kind="second_hand").order_by("pk").first()
    ListingSearchFacetCell.objects.filter(pk=cell.pk).update(documents=cell.documents + 1000)
    after = backend.search(SearchQuery(kind="second_hand"))
    city = {e["value"]: e["count"] for e in after.facets["city"]}
    assert city[cell.city] == {e["value"]: e["count"] for e in before.facets["city"]}[cell.city] + 1000
    assert after.total == before.total + 1000
    # A price range (not a cell column) counts the documents themselves.
    priced = backend.search(SearchQuery(kind="second_hand", max_price=Decimal("9999999")))
    assert priced.total == before.total


@pytest.mark.parametrize("filters", [
    {},
    {"kind": "second_hand"},
    {"category": "phones"},
    {"grade": "A", "certified": False},
    {"category": "phones-tablets", "inspected": True, "city": "深圳市"},
    {"city": "深圳市", "max_price": 5000},
    {"category": "phones-tablets", "grade": "A", "min_price": 100},
])
@pytest.mark.parametrize("q", ["", "手机", "iphone 13"])
def test_facets_count_what_a_search_without_the_facets_own_filter_finds(backend, q, filters):
    """Each facet value's count is the total of the search with that value as its own filter."""
    from listings.models import Category

    kwargs = dict(filters)
    if "category" in kwargs:
        kwargs["category"] = Category.objects.get(slug=kwargs["category"]).pk
    for name in ("min_price", "max_price"):
        if name in kwargs:
            kwargs[name] = Decimal(kwargs[name])
    results = backend.search(SearchQuery(q=q, page_size=100, **kwargs))
    for facet in ("category", "kind", "grade", "city"):
        for entry in results.facets[facet]:
            narrowed = {**kwargs, facet: entry["value"]}
            assert backend.search(SearchQuery(q=q, page_size=100, **narrowed)).total == entry["count"], (facet, entry)


@pytest.mark.postgres
def test_postgresql_answers_every_search_in_one_statement_with_its_cards(backend, django_assert_num_queries):
    # One wait for the database per search: the page, its cards, the total and the facets together.
    queries = [
        SearchQuery(q="手机", city="深圳市"),
        SearchQuery(near=(23.13, 113.33), radius_km=20, sort="distance"),
        SearchQuery(sort="newest"),
        SearchQuery(kind="second_hand", min_price=Decimal("100"), sort="price_asc"),
        SearchQuery(near=(23.13, 113.33), sort="distance"),
    ]
    for query in queries:
        with django_assert_num_queries(1):
            results = backend.search(query)
        assert results.hits, query
        assert results.cards == listing_cards([hit.id for hit in results.hits]), query
