"""What only the database backend does: engine structures, the capped total, typo fallbacks."""
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.db import OperationalError, connection

from search.backends.base import FACETS, PRICE_STEPS, SearchQuery, SearchUnavailable, price_bucket, price_step
from search.backends.database import DatabaseBackend
from search.backends.database import backend as database_module
from search.backends.database.schema import DOCUMENT_TABLE, FTS_TABLE
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


def test_a_rebuild_over_an_index_replaces_it_and_later_writes_still_reach_it(backend):
    """A second rebuild (SQLite: with the FTS triggers off, then one FTS pass) holds exactly the
    new documents, and index() and delete() keep the text index in step afterwards."""
    santi, iphone = backend.corpus.id("b-santi"), backend.corpus.id("p-iphone13")
    documents = [{**d, "title_tokens": "qiuzhuang"} if d["id"] == santi else d
                 for d in backend.corpus.documents() if d["id"] != iphone]
    assert backend.rebuild(documents) == len(documents)
    assert backend.search(SearchQuery(q="三体")).total == 0
    assert [h.id for h in backend.search(SearchQuery(q="qiuzhuang")).hits] == [santi]
    assert iphone not in {h.id for h in backend.search(SearchQuery(q="iphone", page_size=50)).hits}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # raises when the FTS index and the documents differ
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [DOCUMENT_TABLE])
            assert cursor.fetchone()[0] == 3

    santi_document = next(d for d in documents if d["id"] == santi)
    backend.index([{**santi_document, "title_tokens": "zhuangzhou"}])
    assert backend.search(SearchQuery(q="qiuzhuang")).total == 0
    assert [h.id for h in backend.search(SearchQuery(q="zhuangzhou")).hits] == [santi]
    backend.delete([santi])
    assert backend.search(SearchQuery(q="zhuangzhou")).total == 0


def test_a_rebuild_that_fails_half_way_leaves_the_index_as_it_was(backend):
    """One transaction: the old documents, the text index and (SQLite) the FTS triggers stay."""
    def documents_then_failure():
        yield from backend.corpus.documents()[:3]
        raise RuntimeError("the database went away while reading listings")

    before = [h.id for h in backend.search(SearchQuery(q="手机", page_size=50)).hits]
    with pytest.raises(RuntimeError):
        backend.rebuild(documents_then_failure())
    assert [h.id for h in backend.search(SearchQuery(q="手机", page_size=50)).hits] == before
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [DOCUMENT_TABLE])
            assert cursor.fetchone()[0] == 3
    santi = next(d for d in backend.corpus.documents() if d["id"] == backend.corpus.id("b-santi"))
    backend.index([{**santi, "title_tokens": "qiuzhuang"}])
    assert [h.id for h in backend.search(SearchQuery(q="qiuzhuang")).hits] == [santi["id"]]


def test_a_database_that_cannot_answer_makes_search_unavailable(backend, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(backend, "_search", broken)
    with pytest.raises(SearchUnavailable):
        backend.search(SearchQuery(q="手机"))


def test_sqlite_forgives_one_edit_in_words_of_five_letters_or_more_when_nothing_matched(backend):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert backend.capabilities == frozenset({"typos"})

    def found(q):
        return backend.corpus.keys(h.id for h in backend.search(SearchQuery(q=q, page_size=50)).hits)

    assert found("iphnoe")[:6] and set(found("iphnoe")) == set(found("iphone"))  # two letters swapped
    assert found("macbok") == ["l-macbook-air"]  # a letter left out
    assert found("thinkpda") == ["l-thinkpad"]
    assert "p-samsung-s22" in found("samsnug")  # to the vocabulary's word (samsung, 三星)
    assert set(found("ipone")) == set(found("iphone"))  # five letters
    assert found("ipon") == []  # four letters: no typo tolerance
    assert found("iphnoe 手机壳") == ["a-case-iphone13"]  # the Chinese word still has to match
    # The index terms one edit away are read from the FTS index (its fts5vocab table).
    with connection.cursor() as cursor:
        cursor.execute("SELECT doc FROM search_listing_fts_vocab WHERE term = 'macbook'")
        assert cursor.fetchone()[0] == 1


@pytest.mark.postgres
def test_postgresql_forgives_typos_with_trigrams_only_when_nothing_matched(backend):
    assert backend.capabilities == frozenset({"typos"})
    found = backend.corpus.keys(h.id for h in backend.search(SearchQuery(q="iphnoe", page_size=50)).hits)
    assert "p-iphone13" in found and "p-samsung-s22" not in found
    # A mixed query still needs its Chinese word: typo tolerance applies per word.
    mixed = backend.corpus.keys(h.id for h in backend.search(SearchQuery(q="iphnoe 手机壳")).hits)
    assert mixed == ["a-case-iphone13"]  # not the phone sold with one (送一个手机壳: a passing mention)
    # A word that matches exactly is not widened (the iPhone 13 only: its case is an accessory).
    assert backend.corpus.keys(h.id for h in backend.search(SearchQuery(q="iphone 13")).hits) == ["p-iphone13"]


def test_the_category_path_holds_the_category_and_its_ancestors(backend):
    """The category facet groups by the stored path: the listing's category and every ancestor."""
    from listings.models import Category, Listing
    from listings.selectors import category_path
    from search.models import ListingSearchDocument

    categories = {c.pk: c for c in Category.objects.all()}
    own = dict(Listing.objects.values_list("pk", "category_id"))
    paths = dict(ListingSearchDocument.objects.values_list("listing_id", "category_path"))
    assert paths and any(len(path.split()) > 1 for path in paths.values())
    assert {key: {int(c) for c in path.split()} for key, path in paths.items()} == {
        key: {c.pk for c in category_path(own[key], categories)} for key in paths
    }


def _cells() -> dict[tuple, int]:
    from search.backends.database.schema import FACET_CELL_KEY
    from search.models import ListingSearchFacetCell

    return {tuple(row[:-1]): row[-1]
            for row in ListingSearchFacetCell.objects.values_list(*FACET_CELL_KEY, "documents")}


def _recounted_cells() -> dict[tuple, int]:
    from search.backends.database.schema import fill_facet_cells

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
    """Browsing facets (no words or radius) are sums over the cells: changing a cell's count shows
    in the facets, so they were not counted from the documents. A price range on step bounds is
    answered by the cells too; in an edge step the documents count, and the cells only for the
    price facet (which ignores the range)."""
    from search.models import ListingSearchFacetCell

    def yuan(fen):
        return Decimal(fen) / 100

    before = backend.search(SearchQuery(kind="second_hand"))
    cell = ListingSearchFacetCell.objects.filter(kind="second_hand").order_by("pk").first()
    ListingSearchFacetCell.objects.filter(pk=cell.pk).update(documents=cell.documents + 1000)
    after = backend.search(SearchQuery(kind="second_hand"))
    city = {e["value"]: e["count"] for e in after.facets["city"]}
    assert city[cell.city] == {e["value"]: e["count"] for e in before.facets["city"]}[cell.city] + 1000
    assert after.total == before.total + 1000

    low, high = price_step(cell.price_step)
    on_bounds = SearchQuery(kind="second_hand", min_price=yuan(low), max_price=yuan(high - 1) if high else None)
    kinds = {e["value"]: e["count"] for e in backend.search(on_bounds).facets["kind"]}
    assert kinds["second_hand"] == _reference(on_bounds)["kind"]["second_hand"] + 1000

    edge = SearchQuery(kind="second_hand", min_price=yuan(low + 1))  # the cell's step is an edge step
    results, expected = backend.search(edge), _reference(edge)
    assert results.total == expected["total"]
    prices = {e["value"]: e["count"] for e in results.facets["price"]}
    assert prices[price_bucket(cell.price_step)] == expected["price"][price_bucket(cell.price_step)] + 1000


def _reference(query: SearchQuery) -> dict:
    """The total and facets of a search without words, counted in Python from the documents."""
    from listings.models import Category
    from listings.selectors import descendant_ids
    from search.models import ListingSearchDocument

    subtree = set()
    if query.category is not None:
        subtree = set(descendant_ids(query.category, {c.pk: c for c in Category.objects.all()}))
    low, high = query.min_price_fen, query.max_price_fen
    columns = {"kind": "kind", "grade": "grade_code", "condition": "condition", "city": "city"}

    def holds(doc, skip=None):
        if query.certified is not None and doc.certified != query.certified:
            return False
        if query.inspected is not None and doc.inspected != query.inspected:
            return False
        checks = {
            "category": query.category is None or doc.category_id in subtree,
            "kind": query.kind is None or doc.kind == query.kind,
            "grade": query.grade is None or doc.grade_code == query.grade,
            "condition": query.condition is None or doc.condition == query.condition,
            "city": query.city is None or doc.city == query.city,
            "price": (low is None or doc.price_fen >= low) and (high is None or doc.price_fen <= high),
        }
        return all(held for facet, held in checks.items() if facet != skip)

    documents = list(ListingSearchDocument.objects.all())
    expected = {"total": sum(holds(doc) for doc in documents)}
    for facet in FACETS:
        counts = Counter()
        for doc in (doc for doc in documents if holds(doc, skip=facet)):
            if facet == "category":
                counts.update(int(c) for c in (doc.category_path or "").split())
            elif facet == "price":
                counts[price_bucket(doc.price_fen)] += 1
            elif getattr(doc, columns[facet]):
                counts[getattr(doc, columns[facet])] += 1
        expected[facet] = dict(counts)
    return expected


def _random_queries(count: int, seed: int) -> list[dict]:
    """Filters and price ranges of every shape: on step bounds, one fen off them, inside one
    step, open-ended, empty, at a listed price exactly."""
    rng = random.Random(seed)
    bounds = list(PRICE_STEPS[:14]) + [1, 99, 101, 4999, 5001, 10001, 15000, 19999, 200001, 123456]
    queries = []
    for _ in range(count):
        filters = {}
        for name, values in (("kind", ["second_hand", "remanufactured", "refurbished"]), ("city", ["深圳市", "广州市", "南宁市"]),
                             ("grade", ["A", "B", "C"]), ("condition", ["excellent", "good", "fair"]),
                             ("certified", [True, False]), ("inspected", [True, False]),
                             ("category", ["phones", "phones-tablets", "books"])):
            if rng.random() < 0.3:
                filters[name] = rng.choice(values)
        low, high = rng.choice(bounds + [None]), rng.choice(bounds + [None, 10**9])
        if low is not None and high is not None and rng.random() < 0.8:
            low, high = min(low, high), max(low, high)
        filters.update(min_fen=low, max_fen=high)
        queries.append(filters)
    return queries


@pytest.mark.parametrize("filters", _random_queries(40, seed=12))
def test_cell_facets_equal_a_recount_of_the_documents_for_any_filters_and_price_range(backend, filters):
    from listings.models import Category

    kwargs = {name: value for name, value in filters.items() if name not in ("min_fen", "max_fen")}
    if "category" in kwargs:
        kwargs["category"] = Category.objects.get(slug=kwargs["category"]).pk
    for name, fen in (("min_price", filters["min_fen"]), ("max_price", filters["max_fen"])):
        if fen is not None:
            kwargs[name] = Decimal(fen) / 100
    query = SearchQuery(**kwargs)
    results, expected = backend.search(query), _reference(query)
    assert results.total == expected["total"]
    for facet in FACETS:
        assert {e["value"]: e["count"] for e in results.facets[facet]} == expected[facet], facet


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
    for facet in ("category", "kind", "grade", "condition", "city"):
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


def test_the_migrations_frozen_copies_match_the_live_structures():
    """Migrations run frozen copies of the structures and of the facet cell recount: a change to
    search/backends/database/schema.py needs a new migration with its own copy (then compare
    with that one here)."""
    from importlib import import_module

    from search.backends.database import schema

    structures = import_module("search.migrations.0002_engine_structures")
    for name in ("DOCUMENT_TABLE", "FTS_TABLE", "POSTGRES_VECTOR", "POSTGRES_TRIGRAM", "POSTGRES_DROP"):
        assert getattr(structures, name) == getattr(schema, name), name
    latest = import_module("search.migrations.0008_condition_accessory_and_fts_vocabulary")
    for name in ("DOCUMENT_TABLE", "FTS_TABLE", "FTS_VOCABULARY_TABLE", "SQLITE_FTS", "SQLITE_DROP"):
        assert getattr(latest, name) == getattr(schema, name), name
    assert latest.FACET_CELL_KEY == schema.FACET_CELL_KEY
    assert latest.facet_cell_key_sql() == schema.facet_cell_key_sql()


def test_a_device_query_whose_words_find_no_device_at_all_lists_its_accessories(backend):
    from listings.models import ListingState
    from search.documents import build_documents
    from tests.listings.factories import ListingFactory, category

    # No Xbox is on sale: its controller is what "xbox" finds (a device query otherwise lists devices).
    controller = ListingFactory(title="Xbox 手柄 无线 原装", category=category("phones-tablets"),
                                attributes={}, state=ListingState.ACTIVE)
    backend.index(build_documents([controller]))
    assert [hit.id for hit in backend.search(SearchQuery(q="xbox")).hits] == [controller.pk]
    # Whatever the filters: a device query whose words find a device elsewhere lists no accessory.
    assert backend.search(SearchQuery(q="iphone 13", city="柳州市")).total == 0
