"""Giveaways, swaps and "what will be at this event", on every backend: the deal filter and a
restriction to a set of listings combine with the other filters, and facets count what is left."""
from search.backends.base import SearchQuery

ALL = 200


def reindexed(backend, corpus, deals):
    """The corpus indexed again with some listings given away or offered for swap."""
    documents = corpus.documents()
    for document in documents:
        document["deal"] = deals.get(corpus.key(document["id"]), "sale")
    backend.clear()
    backend.index(documents)


def found(backend, corpus, **params):
    results = backend.search(SearchQuery(page_size=ALL, **params))
    return {corpus.key(hit.id) for hit in results.hits}, results


def test_deal_filters_giveaways_swaps_and_sales(search_backend, corpus):
    active = set(corpus.active())
    giveaways, swaps = sorted(active)[:3], sorted(active)[3:5]
    reindexed(search_backend, corpus, {**dict.fromkeys(giveaways, "giveaway"), **dict.fromkeys(swaps, "swap")})
    assert found(search_backend, corpus, deal="giveaway")[0] == set(giveaways)
    assert found(search_backend, corpus, deal="swap")[0] == set(swaps)
    assert found(search_backend, corpus, deal="sale")[0] == active - set(giveaways) - set(swaps)
    keys, results = found(search_backend, corpus, deal="giveaway", q="")
    assert results.total == 3 and sum(entry["count"] for entry in results.facets["kind"]) == 3


def test_a_set_of_listings_narrows_every_other_filter(search_backend, corpus):
    reindexed(search_backend, corpus, {})
    phones = {key for key, record in corpus.records.items() if record["category"] == "phones" and record["state"] == "active"}
    chosen = sorted(phones)[:2] + sorted(set(corpus.active()) - phones)[:2]
    ids = frozenset(corpus.id(key) for key in chosen)
    assert found(search_backend, corpus, listing_ids=ids)[0] == set(chosen)
    keys, results = found(search_backend, corpus, listing_ids=ids, q="手机")
    assert keys == set(sorted(phones)[:2])
    assert found(search_backend, corpus, listing_ids=frozenset())[0] == set()
    _keys, results = found(search_backend, corpus, listing_ids=ids)
    assert sum(entry["count"] for entry in results.facets["category"]) >= len(chosen)
    assert results.total == len(chosen)
