"""Query semantics every search backend keeps, on the fixed corpus (data/corpus.json)."""
import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import service
from search.backends.base import PRICE_BUCKETS, SearchQuery, price_bucket
from search.text import normalize

ALL = 200  # larger than the corpus: one page holds every hit


def keys(backend, corpus, **params):
    params.setdefault("page_size", ALL)
    results = backend.search(SearchQuery(**params))
    return corpus.keys(hit.id for hit in results.hits)


def haversine_km(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(h)))


# ------------------------------------------------------------------- ranking --

def test_a_title_match_ranks_above_a_description_match(search_backend, corpus):
    found = keys(search_backend, corpus, q="九成新")
    in_title = {"p-xiaomi13", "au-tyre"}  # 九成新 in the title; the others say it in the description
    assert set(found[:2]) == in_title
    assert {"c-laptop-bag", "b-python", "k-stroller"} <= set(found[2:])


def test_a_description_that_mentions_another_product_is_not_that_product(search_backend, corpus):
    # p-vivo and p-nokia are phones that come with a charger (送原装充电器, 送充电器): passing mentions.
    assert keys(search_backend, corpus, q="充电器") == ["a-charger"]


def test_a_chinese_word_finds_what_the_listing_is(search_backend, corpus):
    found = keys(search_backend, corpus, q="手机")
    phones = {key for key, record in corpus.records.items() if record["category"] == "phones" and record["state"] == "active"}
    assert set(found[:len(phones)]) == phones
    assert "a-case-iphone13" not in found  # a phone case is not a phone


def test_an_english_word_finds_listings_written_in_chinese(search_backend, corpus):
    assert set(keys(search_backend, corpus, q="mouse")) == {"c-mouse-logi", "c-mouse-mx"}
    assert set(keys(search_backend, corpus, q="sofa")) == {"f-sofa-fabric", "f-sofa-leather"}


def test_every_query_word_must_match(search_backend, corpus):
    assert keys(search_backend, corpus, q="Samsung 电视") == ["tv-samsung"]
    assert keys(search_backend, corpus, q="华为 笔记本") == ["l-matebook"]


# ------------------------------------------------------------- normalization --

@pytest.mark.parametrize(("variant", "plain"), [
    ("ＩＰＨＯＮＥ", "iphone"),      # full width
    ("IPhone", "iphone"),          # case
    ("手機", "手机"),                # traditional
    ("滑鼠", "鼠标"),                # Taiwanese word
    ("華為 平板", "华为 平板"),
    ("watches", "watch"),          # plural
    ("phones", "phone"),
    ("bikes", "bike"),
    ("running", "run"),            # inflection
])
def test_variants_of_a_word_find_the_same_listings(search_backend, corpus, variant, plain):
    assert keys(search_backend, corpus, q=variant) == keys(search_backend, corpus, q=plain)
    assert keys(search_backend, corpus, q=plain)


@pytest.mark.parametrize(("a", "b"), [("电视", "TV"), ("电视", "television"), ("手表", "watch"), ("鼠标", "mouse")])
def test_bilingual_synonyms_find_the_same_listings(search_backend, corpus, a, b):
    assert set(keys(search_backend, corpus, q=a)) == set(keys(search_backend, corpus, q=b))


def test_a_pinyin_slip_is_read_as_the_word_that_sounds_like_it(search_backend, corpus):
    assert keys(search_backend, corpus, q="手鸡") == keys(search_backend, corpus, q="手机")


# --------------------------------------------------------------- identifiers --

@pytest.mark.parametrize(("q", "expected"), [
    ("9787111544937", "b-csapp"),        # ISBN-13
    ("978-7-111-54493-7", "b-csapp"),    # ISBN-13 with hyphens
    ("7111544935", "b-csapp"),           # ISBN-10
    ("750636543x", "b-huozhe"),          # ISBN-10 with check letter
    ("0-7475-3269-9", "b-harrypotter"),  # stored as ISBN-10, asked with hyphens
    ("9780747532699", "b-harrypotter"),  # stored as ISBN-10, asked as ISBN-13
    ("06H121026DD", "au-waterpump"),     # OE number without hyphens
    ("06h-121-026-dd", "au-waterpump"),  # with hyphens
    ("0446533450", "au-brakepads"),
    ("8W0941033", "au-headlight"),       # stored with spaces
    ("华为P40", "p-huawei-p40"),          # model glued to its brand
    ("华为 p40", "p-huawei-p40"),
    ("mate60", "p-mate60"),              # model written together
    ("Mate 60", "p-mate60"),             # or apart
    ("小米13", "p-xiaomi13"),
    ("iphone13", "p-iphone13"),
])
def test_an_identifier_finds_its_item_first(search_backend, corpus, q, expected):
    found = keys(search_backend, corpus, q=q)
    assert found and found[0] == expected, found


def test_a_model_number_does_not_find_its_neighbours(search_backend, corpus):
    assert "p-mate40" not in keys(search_backend, corpus, q="mate60")
    assert "p-iphone12" not in keys(search_backend, corpus, q="iphone13")


# ----------------------------------------------------------------- compounds --

@pytest.mark.parametrize(("q", "not_expected"), [
    ("电视", {"f-tv-stand", "f-tv-mount", "s-settop"}),
    ("鼠标", {"c-mousepad"}),
    ("自行车", {"sp-bikelock", "k-kidbike"}),
    ("空调", {"ap-ac-fan"}),
    ("耳机", {"a-earpads"}),
])
def test_a_word_does_not_find_compounds_that_contain_it(search_backend, corpus, q, not_expected):
    found = set(keys(search_backend, corpus, q=q))
    assert found
    assert not found & not_expected


def test_a_compound_finds_itself(search_backend, corpus):
    assert keys(search_backend, corpus, q="电视柜") == ["f-tv-stand"]
    assert keys(search_backend, corpus, q="鼠标垫") == ["c-mousepad"]


# ------------------------------------------------------------------- filters --

def active_where(corpus, predicate):
    return {key for key, r in corpus.records.items() if r["state"] == "active" and predicate(r)}


def test_filter_by_category_includes_subcategories(search_backend, corpus):
    parent = corpus.categories["phones-tablets"].pk
    expected = active_where(corpus, lambda r: r["category"] in ("phones-tablets", "phones", "tablets"))
    assert set(keys(search_backend, corpus, category=parent)) == expected


@pytest.mark.parametrize(("params", "predicate"), [
    ({"kind": "remanufactured"}, lambda r: r["kind"] == "remanufactured"),
    ({"grade": "A"}, lambda r: r["grade"] == "A"),
    ({"city": "南宁市"}, lambda r: r["city"] == "南宁市"),
    ({"certified": True}, lambda r: r["certified"]),
    ({"certified": False}, lambda r: not r["certified"]),
    ({"inspected": True}, lambda r: r["grade_source"] == "inspection"),
    ({"min_price": Decimal("1200")}, lambda r: Decimal(r["price"]) >= 1200),  # bounds are inclusive
    ({"max_price": Decimal("1200")}, lambda r: Decimal(r["price"]) <= 1200),
    ({"min_price": Decimal("99.99"), "max_price": Decimal("100")}, lambda r: Decimal("99.99") <= Decimal(r["price"]) <= 100),
])
def test_each_filter(search_backend, corpus, params, predicate):
    assert set(keys(search_backend, corpus, **params)) == active_where(corpus, predicate)


def test_filters_combine_with_and(search_backend, corpus):
    found = keys(
        search_backend, corpus, category=corpus.categories["auto-parts"].pk, kind="remanufactured",
        max_price=Decimal("1000"),
    )
    assert set(found) == {"au-waterpump", "au-alternator", "au-starter"}


def test_text_and_filters_combine(search_backend, corpus):
    assert set(keys(search_backend, corpus, q="手机", city="深圳市")) == {"p-iphone12", "p-mate60", "p-samsung-s22"}


def test_geo_radius_keeps_exactly_the_listings_within_it(search_backend, corpus):
    tianhe = (23.13, 113.33)
    results = search_backend.search(SearchQuery(near=tianhe, radius_km=15, page_size=ALL))
    expected = {
        key for key, r in corpus.records.items()
        if r["state"] == "active" and r["latitude"] is not None
        and haversine_km(tianhe, (r["latitude"], r["longitude"])) <= 15
    }
    assert set(corpus.keys(hit.id for hit in results.hits)) == expected
    assert expected and "p-nolocation" not in expected
    for hit in results.hits:
        record = corpus.records[corpus.key(hit.id)]
        assert hit.distance_km == pytest.approx(haversine_km(tianhe, (record["latitude"], record["longitude"])), abs=0.05)


# -------------------------------------------------------------------- facets --

FACET_FIELD = {"category": None, "kind": "kind", "grade": "grade", "condition": None, "city": "city", "price": None}


def condition_of(corpus, key) -> str:
    """The condition level of a corpus listing: its grade read in its category's standard."""
    from grading.conditions import condition_of as mapped

    return mapped(corpus.listings[key].category.grading_standard_code, corpus.records[key]["grade"])


def expected_facet(corpus, found_keys, facet):
    counts = {}
    for key in found_keys:
        record = corpus.records[key]
        if facet == "category":
            category = corpus.listings[key].category
            values = [category.pk] + ([category.parent_id] if category.parent_id else [])
        elif facet == "price":
            values = [price_bucket(int(Decimal(record["price"]) * 100))]
        elif facet == "condition":
            values = [condition_of(corpus, key)]
        else:
            values = [record[FACET_FIELD[facet]]]
        for value in values:
            if value not in ("", None):
                counts[value] = counts.get(value, 0) + 1
    return counts


@pytest.mark.parametrize("params", [
    {"q": "手机"},
    {"q": "手机", "city": "深圳市"},
    {"q": "手机", "city": "深圳市", "grade": "A"},
    {"q": "手机", "condition": "good", "city": "深圳市"},
    {"kind": "remanufactured", "min_price": Decimal("500")},
    {"category": "phones", "kind": "second_hand", "max_price": Decimal("3000")},
])
def test_each_facet_counts_the_results_of_the_other_filters(search_backend, corpus, params):
    params = dict(params)
    if params.get("category"):
        params["category"] = corpus.categories[params["category"]].pk
    results = search_backend.search(SearchQuery(page_size=ALL, **params))
    own_filter = {"category": ["category"], "kind": ["kind"], "grade": ["grade"], "condition": ["condition"],
                  "city": ["city"], "price": ["min_price", "max_price"]}
    for facet, filters in own_filter.items():
        without_own = {name: value for name, value in params.items() if name not in filters}
        found = keys(search_backend, corpus, **without_own)
        expected = expected_facet(corpus, found, facet)
        got = {entry["value"]: entry["count"] for entry in results.facets[facet]}
        assert got == expected, (facet, got, expected)


def test_facet_values_are_ordered_by_count_and_price_buckets_are_fixed(search_backend, corpus):
    facets = search_backend.search(SearchQuery()).facets
    for facet in ("category", "kind", "grade", "condition", "city"):
        counts = [entry["count"] for entry in facets[facet]]
        assert counts == sorted(counts, reverse=True)
    labels = [entry["value"] for entry in facets["price"]]
    assert labels == [label for label, _low, _high in PRICE_BUCKETS if label in labels]
    assert sum(entry["count"] for entry in facets["price"]) == len(corpus.active())


# --------------------------------------------------------------------- sorts --

def test_sort_newest(search_backend, corpus):
    found = keys(search_backend, corpus, sort="newest")
    published = [corpus.listings[key].published_at for key in found]
    assert published == sorted(published, reverse=True)
    assert found == keys(search_backend, corpus)  # without words, relevance is newest first


@pytest.mark.parametrize(("sort", "reverse"), [("price_asc", False), ("price_desc", True)])
def test_sort_by_price(search_backend, corpus, sort, reverse):
    found = keys(search_backend, corpus, q="手机", sort=sort)
    prices = [Decimal(corpus.records[key]["price"]) for key in found]
    assert prices == sorted(prices, reverse=reverse)
    assert set(found) == set(keys(search_backend, corpus, q="手机"))


def test_sort_by_distance_puts_listings_without_a_place_last(search_backend, corpus):
    results = search_backend.search(SearchQuery(q="iphone", near=(23.13, 113.33), sort="distance", page_size=ALL))
    distances = [hit.distance_km for hit in results.hits]
    assert distances[-1] is None and corpus.key(results.hits[-1].id) == "p-nolocation"
    assert distances[:-1] == sorted(distances[:-1])


# ---------------------------------------------------------------- pagination --

def test_pages_are_consecutive_slices_with_one_total(search_backend, corpus):
    first = search_backend.search(SearchQuery(q="手机", page=1, page_size=5))
    second = search_backend.search(SearchQuery(q="手机", page=2, page_size=5))
    both = search_backend.search(SearchQuery(q="手机", page=1, page_size=10))
    assert [h.id for h in first.hits + second.hits] == [h.id for h in both.hits]
    assert first.total == second.total == both.total >= 10
    assert first.total_is_exact


def test_a_page_past_the_end_is_empty(search_backend, corpus):
    results = search_backend.search(SearchQuery(q="手机", page=50, page_size=20))
    assert results.hits == []


# --------------------------------------------------------------- highlights --

def test_highlights_mark_the_matched_words_and_escape_the_rest(search_backend, corpus):
    results = search_backend.search(SearchQuery(q="充电器"))
    by_key = {corpus.key(hit.id): hit.highlights for hit in results.hits}
    assert by_key["a-charger"]["title"] == ["苹果原装<em>充电器</em> 20W <em>快充头</em>"]  # 快充头: a charger too
    results = search_backend.search(SearchQuery(q="九成新"))
    by_key = {corpus.key(hit.id): hit.highlights for hit in results.hits}
    assert by_key["c-laptop-bag"]["description"] == ["可装15.6寸电脑，防水面料，<em>九成新</em>。"]


def test_highlights_mark_synonyms_and_variants(search_backend, corpus):
    results = search_backend.search(SearchQuery(q="tv"))
    by_key = {corpus.key(hit.id): hit.highlights for hit in results.hits}
    assert "<em>TV</em>" in by_key["tv-samsung"]["title"][0]
    assert "<em>电视</em>" in by_key["tv-xiaomi"]["title"][0]


# --------------------------------------------------------------- suggestions --

def test_suggest_completes_category_names_and_titles(use_backend, corpus):
    assert "手机" in service.suggest("手")
    assert "Phones" in service.suggest("pho")
    titles = service.suggest("iph", limit=20)
    assert "iPhone 13 128G 国行 95新" in titles
    assert all("iphone" in title.lower() for title in titles)
    assert len(service.suggest("i", limit=3)) == 3


def test_suggest_completes_a_word_inside_a_title(use_backend, corpus):
    assert "组装台式电脑 i5-12400 RTX3060 主机" in service.suggest("rtx")
    assert "苹果 iPhone12 64G 白色" in service.suggest("iph", limit=20)
    assert service.suggest("rtx3070") == []


def test_suggest_normalizes_the_prefix(use_backend, corpus):
    assert service.suggest("ＩＰＨ") == service.suggest("iph")


def test_the_backend_finds_the_indexed_categories_and_the_titles_the_service_merges(search_backend, corpus):
    found = search_backend.suggest("iph", limit=5)
    indexed = {category_id for document in corpus.documents() for category_id in document["category_ids"]}
    assert set(found.category_ids) == indexed
    assert found.titles and all("iph" in normalize(title) for title in found.titles)


# ------------------------------------------------------------ only active ones --

@pytest.mark.parametrize("q", ["钛金属原色", "Mate X3", "劳力士", "PS5", "Switch OLED", "P2419H"])
def test_listings_that_are_not_active_are_never_found(search_backend, corpus, q):
    assert keys(search_backend, corpus, q=q) == []


def test_listings_that_are_not_active_are_not_listed_or_suggested(use_backend, corpus):
    hidden = {key for key, record in corpus.records.items() if record["state"] != "active"}
    assert not set(keys(use_backend, corpus)) & hidden
    assert len(keys(use_backend, corpus)) == len(corpus.active())
    assert service.suggest("劳力士") == []
    assert service.suggest("任天堂") == []


@pytest.mark.parametrize("q", ['" OR * NEAR(手机', "手机 AND -iphone", "'; DROP TABLE x; --", "a:b title_tokens:手机", "\\", "%_"])
def test_query_syntax_of_the_engines_is_plain_text(use_backend, corpus, q):
    results = use_backend.search(SearchQuery(q=q))
    assert results.total >= 0
    assert service.suggest(q) is not None


FILTER_VALUES = st.fixed_dictionaries({}, optional={
    "kind": st.sampled_from(["second_hand", "remanufactured", "refurbished"]),
    "grade": st.sampled_from(["A", "B", "C"]),
    "condition": st.sampled_from(["excellent", "good", "fair"]),
    "city": st.sampled_from(["广州市", "深圳市", "南宁市", "桂林市", "佛山市"]),
    "certified": st.booleans(),
    "inspected": st.booleans(),
    "min_price": st.sampled_from([Decimal("0"), Decimal("60"), Decimal("100"), Decimal("1200"), Decimal("5000")]),
    "max_price": st.sampled_from([Decimal("60"), Decimal("500"), Decimal("1800"), Decimal("99999")]),
    "category": st.sampled_from(["phones-tablets", "phones", "auto-parts", "furniture", "large-appliances"]),
    "q": st.sampled_from(["", "手机", "再制造", "iphone", "华为", "九成新"]),
})


def _matches(corpus, key, params, text_keys):
    record, listing = corpus.records[key], corpus.listings[key]
    price = Decimal(record["price"])
    category = params.get("category")
    return all((
        record["state"] == "active",
        key in text_keys,
        params.get("kind") in (None, record["kind"]),
        params.get("grade") in (None, record["grade"]),
        params.get("condition") in (None, condition_of(corpus, key)),
        params.get("city") in (None, record["city"]),
        params.get("certified") in (None, record["certified"]),
        params.get("inspected") in (None, record["grade_source"] == "inspection"),
        params.get("min_price") is None or price >= params["min_price"],
        params.get("max_price") is None or price <= params["max_price"],
        category is None or category in (listing.category.slug, getattr(listing.category.parent, "slug", None)),
    ))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=FILTER_VALUES)
def test_any_combination_of_filters_is_the_and_of_each(search_backend, corpus, params):
    text_keys = set(keys(search_backend, corpus, q=params.get("q", "")))
    query = dict(params)
    if "category" in query:
        query["category"] = corpus.categories[query["category"]].pk
    results = search_backend.search(SearchQuery(page_size=ALL, **query))
    expected = {key for key in corpus.records if _matches(corpus, key, params, text_keys)}
    assert set(corpus.keys(hit.id for hit in results.hits)) == expected
    assert results.total == len(expected)
    if "kind" not in params:
        assert sum(entry["count"] for entry in results.facets["kind"]) == results.total
