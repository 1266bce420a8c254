"""A release that adds fields to the mapping keeps live writes working until the next rebuild."""
from search.backends.base import SearchQuery
from search.backends.elasticsearch.mapping import build_index
from tests.contract.corpus import create_corpus


def test_the_first_write_adds_the_new_fields_to_an_index_made_before_them(es_backend, db):
    body = build_index(es_backend.alias).to_dict()
    for field in ("condition", "accessory"):  # an index made before issue 24
        del body["mappings"]["properties"][field]
    name = f"{es_backend.alias}_v1"
    es_backend.client.indices.create(index=name, **body)
    es_backend.client.indices.update_aliases(actions=[{"add": {"index": name, "alias": es_backend.alias}}])

    corpus = create_corpus()
    es_backend.index(corpus.documents())  # mapping is strict: without the upgrade every write fails

    properties = es_backend.client.indices.get_mapping(index=name)[name]["mappings"]["properties"]
    assert properties["condition"]["type"] == "keyword" and properties["accessory"]["type"] == "boolean"
    found = es_backend.search(SearchQuery(condition="excellent", page_size=200))
    assert found.total and all(corpus.records[corpus.key(hit.id)]["grade"] == "A" for hit in found.hits)
