"""The request bodies the Elasticsearch backend sends, pinned: built without a cluster.

A change to the mapping, the query compiler or the bulk actions shows up here as a diff of the
JSON files in tests/search/golden/. When the change is intended, rewrite them with
`UPDATE_GOLDEN=1 pytest tests/search/elasticsearch/test_golden.py` and review the diff.
"""
import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from search.backends.base import SearchQuery
from search.backends.elasticsearch.mapping import index_actions, index_body
from search.backends.elasticsearch.query import compile_search, compile_suggest, presence_lines

GOLDEN = Path(__file__).resolve().parent.parent / "golden"

# Fixed OR-groups rather than search.text output: these files pin the compiler, not the segmenter.
GROUPS = [("华为", "huawei"), ("手机", "cellphon", "mobil", "phone", "smartphon", "移动电话")]

FULL_QUERY = SearchQuery(
    q="华为 手机", category=7, kind="second_hand", grade="A", condition="excellent", min_price=Decimal("100"),
    max_price=Decimal("4999.99"), city="广州市", certified=True, inspected=False, near=(23.13, 113.26),
    radius_km=15.5, sort="price_asc", page=3, page_size=20,
)

DOCUMENTS = [
    {
        "id": 101, "title": "华为P40 Pro 九成新", "description": "自用手机，搬家转让，可小刀",
        "title_tokens": "华为 p40 pro 九成新 华为p40", "body_tokens": "自用 手机 搬家 转让 可小刀 手机 phone",
        "identifiers": "华为p40", "category_tokens": "手机", "title_normalized": "华为p40 pro 九成新",
        "category_ids": [7, 1], "category_name": "手机", "kind": "second_hand", "grade_code": "B", "condition": "good",
        "accessory": False,
        "price_fen": 150000, "city": "广州市", "district": "天河区", "location": (23.13, 113.32),
        "certified": False, "inspected": True, "published_at": datetime(2026, 5, 1, 8, 30, tzinfo=UTC),
        "state": "active", "suggest": ["华为P40 Pro 九成新", "手机", "Phones", "电子产品", "Electronics"],
    },
    {
        "id": 102, "title": "再制造 起动机 OE 31200-RNA-A01", "description": "",
        "title_tokens": "再制造 制造 起动 起动机 312 31200rnaa01", "body_tokens": "汽车配件 auto part",
        "identifiers": "31200rnaa01", "category_tokens": "汽车配件", "title_normalized": "再制造 起动机 oe 31200-rna-a01",
        "category_ids": [12], "category_name": "汽车配件", "kind": "remanufactured", "grade_code": "",
        "price_fen": 68000, "city": "南宁市", "district": "", "location": None,
        "certified": True, "inspected": False, "published_at": datetime(2026, 6, 2, tzinfo=UTC),
        "state": "active", "suggest": ["再制造 起动机 OE 31200-RNA-A01", "汽车配件", "Auto parts"],
    },
]


def bodies() -> dict[str, object]:
    return {
        "es_index.json": index_body(),
        "es_index_loading.json": index_body(loading=True),
        "es_search_full.json": compile_search(FULL_QUERY, GROUPS),
        "es_search_relevance.json": compile_search(SearchQuery(q="华为 手机"), GROUPS),
        "es_search_typo_retry.json": compile_search(
            SearchQuery(q="thinkpda 笔记本"), [("thinkpda",), ("笔记本", "laptop")], typo_terms=["thinkpda", None],
        ),
        "es_search_relaxed.json": compile_search(
            SearchQuery(q="佳能 单反"), [("canon", "佳能"), ("dslr", "单反", "单反相机", "相机")], relaxed=((1,), 1),
        ),
        "es_presence.json": presence_lines([("canon", "佳能"), ("dslr", "单反", "单反相机")]),
        "es_search_filters_only.json": compile_search(SearchQuery(kind="refurbished", sort="newest"), []),
        "es_search_distance.json": compile_search(
            SearchQuery(near=(22.82, 108.32), radius_km=5, sort="distance"), [],
        ),
        "es_suggest.json": compile_suggest("华为p", 10, "华为p"),
        "es_bulk_actions.json": list(index_actions(DOCUMENTS, "marketplace_listings")),
    }


def dump(body) -> str:
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", sorted(bodies()))
def test_request_body_matches_golden_file(name, settings):
    settings.ELASTICSEARCH_TEXT_ANALYZER = "whitespace"
    settings.ELASTICSEARCH_NUMBER_OF_REPLICAS = 0
    actual = dump(bodies()[name])
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed: review, then UPDATE_GOLDEN=1"


def test_the_analyzer_setting_reaches_every_token_field(settings):
    settings.ELASTICSEARCH_TEXT_ANALYZER = "smartcn"
    properties = index_body()["mappings"]["properties"]
    for field in ("title_tokens", "body_tokens", "identifiers", "category_tokens"):
        assert properties[field]["analyzer"] == "smartcn"


def test_every_filter_of_the_full_query_is_in_the_body():
    bodies = compile_search(FULL_QUERY, GROUPS)
    body, facets = bodies["hits"], bodies["facets"]
    post_filters = json.dumps(body["post_filter"], ensure_ascii=False)
    query = json.dumps(body["query"], ensure_ascii=False)
    for expected in ('"category_ids": 7', '"kind": "second_hand"', '"grade_code": "A"', '"condition": "excellent"',
                     '"city": "广州市"', '"gte": 10000', '"lte": 499999'):
        assert expected in post_filters
    for expected in ('"certified": true', '"inspected": false', '"geo_distance"', '"15.5km"'):
        assert expected in query
    assert body["from"] == 40 and body["size"] == 20
    assert body["sort"][0] == {"price_fen": {"order": "asc"}}
    assert "aggs" not in body
    # The facet counts: the same matching documents, before the facet filters, cacheable (size 0).
    assert facets["size"] == 0
    assert json.dumps(facets["query"], ensure_ascii=False).count('"geo_distance"') == 1
    assert set(facets["aggs"]) == {"category", "kind", "grade", "condition", "city", "price"}
    # Each facet ignores its own filter: the kind facet is not restricted by kind.
    assert "second_hand" not in json.dumps(facets["aggs"]["kind"]["filter"])
    assert "second_hand" in json.dumps(facets["aggs"]["city"]["filter"])
