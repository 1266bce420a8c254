"""A SearchQuery as an Elasticsearch request body (pure: no cluster needed, pinned by golden files).

Semantics follow search.backends.base (and the database backend): every query token group must
match the title, identifiers, own category or body; title-level matches rank above body matches;
filters combine with AND; each facet counts the results of the other filters (facet filters in
the page's post_filter, and one filter aggregation per facet in a separate size-0 body); ties go
to the newest, then the highest id.
"""
from functools import lru_cache

from elasticsearch.dsl import A, Q, Search
from elasticsearch.dsl.query import Query

from search.backends.base import FACETS, PRICE_BUCKETS, TOTAL_CAP, SearchQuery
from search.backends.elasticsearch.mapping import TEXT_FIELDS

FACET_FIELDS = {"category": "category_ids", "kind": "kind.raw", "grade": "grade_code.raw", "condition": "condition",
                "city": "city.raw"}
# Enough buckets for every category or city a page of facets can show.
FACET_SIZE = 100
# More categories than the tree will hold: every indexed category, for suggestions.
CATEGORY_LIMIT = 1000
TIE_BREAK = [{"published_at": {"order": "desc"}}, {"id": {"order": "desc"}}]
# Certified and inspected listings rank a little higher among equally relevant ones; accessories
# below the devices a query also finds (the database backend's ACCESSORY_FACTOR).
TRUST_BOOSTS = (("certified", 1.2), ("inspected", 1.1), ("accessory", 0.4))
# A relaxed search ranks by how many query words a listing matches first: each adds this much.
MATCHED_WORD_SCORE = 10000
# Compiled _msearch lines of recent queries (each page its own entry).
COMPILED_CACHE_SIZE = 1024


# Typo tolerance (a retry when nothing matched): edit distance on title words and identifiers,
# for Latin words of four letters or more, as the database backend's trigram retry does.
FUZZY_FIELDS = {"title_tokens": 0.5, "identifiers": 0.5}


def _group_query(group, typo_term: str | None = None) -> Query:
    """One OR-group of a query token (the token and its synonyms) over every text field."""
    alternatives = []
    for term in group:
        for field, boost in TEXT_FIELDS.items():
            alternatives.append(Q("term", **{field: {"value": term, "boost": boost}}))
    if typo_term:
        for field, boost in FUZZY_FIELDS.items():
            alternatives.append(Q("fuzzy", **{field: {
                "value": typo_term, "fuzziness": "AUTO", "prefix_length": 1, "boost": boost,
            }}))
    # dis_max: the best field decides, so a title match outranks a body match whatever the body says.
    return Q("dis_max", queries=alternatives, tie_breaker=0.1)


def text_query(groups, typo_terms=None) -> Query | None:
    if not groups:
        return None
    typo_terms = typo_terms or [None] * len(groups)
    return Q("bool", must=[_group_query(group, typo) for group, typo in zip(groups, typo_terms, strict=True)])


def relaxed_query(groups, required: tuple[int, ...], minimum: int) -> tuple[Query, Query]:
    """(the matching, the scoring) of a relaxed search (search.analysis.relaxations): one of the
    required groups and `minimum` groups in all; each matched group adds MATCHED_WORD_SCORE, so the
    listings that match more words come first, then the text score (with the trust and accessory
    factors) orders each tier."""
    each = [_group_query(group) for group in groups]
    matching = Q("bool", filter=[
        Q("bool", should=[each[index] for index in required], minimum_should_match=1),
        Q("bool", should=each, minimum_should_match=minimum),
    ])
    tiers = [Q("constant_score", filter=query, boost=MATCHED_WORD_SCORE) for query in each]
    scoring = Q("bool", must=[matching], should=[*tiers, _trusted(Q("bool", should=each))])
    return matching, scoring


def filter_clauses(query: SearchQuery) -> dict[str, Query]:
    """Filters by name: facet filters under their facet's name (so a facet can leave its own out)."""
    clauses: dict[str, Query] = {}
    if query.category is not None:
        clauses["category"] = Q("term", category_ids=query.category)
    if query.kind:
        clauses["kind"] = Q("term", kind=query.kind)
    if query.grade:
        clauses["grade"] = Q("term", grade_code=query.grade)
    if query.condition:
        clauses["condition"] = Q("term", condition=query.condition)
    if query.city:
        clauses["city"] = Q("term", city=query.city)
    if query.min_price is not None or query.max_price is not None:
        bounds = {}
        if query.min_price is not None:
            bounds["gte"] = query.min_price_fen
        if query.max_price is not None:
            bounds["lte"] = query.max_price_fen
        clauses["price"] = Q("range", price_fen=bounds)
    if query.certified is not None:
        clauses["certified"] = Q("term", certified=query.certified)
    if query.inspected is not None:
        clauses["inspected"] = Q("term", inspected=query.inspected)
    if query.deal:
        clauses["deal"] = Q("term", deal=query.deal)
    if query.accessory is not None:
        clauses["accessory"] = Q("term", accessory=query.accessory)
    if query.listing_ids is not None:
        clauses["listings"] = Q("terms", id=sorted(query.listing_ids))
    if query.near is not None and query.radius_km is not None:
        lat, lon = query.near
        clauses["near"] = Q("geo_distance", distance=f"{query.radius_km}km", location={"lat": lat, "lon": lon})
    return clauses


def _trusted(text: Query) -> Query:
    functions = [{"filter": Q("term", **{field: True}).to_dict(), "weight": weight} for field, weight in TRUST_BOOSTS]
    return Q("function_score", query=text, functions=functions, score_mode="multiply", boost_mode="multiply")


def _scored(text: Query | None) -> Query:
    return Q("match_all") if text is None else _trusted(text)


def _sort(query: SearchQuery, has_text: bool) -> list:
    if query.sort == "distance" and query.near is not None:
        lat, lon = query.near
        return [
            {"_geo_distance": {"location": {"lat": lat, "lon": lon}, "order": "asc", "unit": "km",
                               "distance_type": "arc"}},
            *TIE_BREAK,
        ]
    if query.sort == "price_asc":
        return [{"price_fen": {"order": "asc"}}, *TIE_BREAK]
    if query.sort == "price_desc":
        return [{"price_fen": {"order": "desc"}}, *TIE_BREAK]
    if query.sort == "relevance" and has_text:
        return [{"_score": {"order": "desc"}}, *TIE_BREAK]
    return list(TIE_BREAK)


def _facet_aggregations(facet_clauses: dict[str, Query]) -> dict:
    """One filter aggregation per facet, holding every other facet's filter (the rest are in the query)."""
    aggs = {}
    for facet, field in {**FACET_FIELDS, "price": "price_fen"}.items():
        others = [clause for name, clause in facet_clauses.items() if name != facet]
        if facet == "price":
            ranges = [{"key": label, "from": low, **({"to": high} if high is not None else {})}
                      for label, low, high in PRICE_BUCKETS]
            inner = A("range", field=field, ranges=ranges)
        else:
            inner = A("terms", field=field, size=FACET_SIZE, order=[{"_count": "desc"}, {"_key": "asc"}])
        outer = A("filter", filter=Q("bool", filter=others) if others else Q("match_all"))
        outer.bucket("values", inner)
        aggs[facet] = outer
    return aggs


def compile_search(query: SearchQuery, groups, *, typo_terms=None, relaxed=None) -> dict[str, dict]:
    """The two bodies of one _msearch for this query: {"hits": one page, "facets": the counts}.

    `groups` are search.analysis.query_groups(query.q); `typo_terms` (one per group, or None) are
    matched with edit distance too; `relaxed`, (required, minimum), matches them as a relaxed
    search (see relaxed_query). Facets are a separate size-0 body so that the shard request cache
    keeps them: every page of a query and every repeat of a popular one reuse the counts until the
    next refresh that changes the index.
    """
    if relaxed is not None and groups:
        text, scored = relaxed_query(groups, *relaxed)
    else:
        text = text_query(groups, typo_terms)
        scored = _scored(text)
    clauses = filter_clauses(query)
    facet_clauses = {name: clause for name, clause in clauses.items() if name in FACETS}
    plain_filters = [clause for name, clause in clauses.items() if name not in FACETS]

    hits = Search().extra(
        from_=query.offset, size=query.page_size, track_total_hits=TOTAL_CAP,
        _source=["title", "description", "location"],
    )
    hits = hits.query(Q("bool", must=[scored], filter=plain_filters) if plain_filters else scored)
    if facet_clauses:
        # Facet filters go in post_filter: each facet aggregation must see what the other filters leave.
        hits = hits.post_filter(Q("bool", filter=list(facet_clauses.values())))
    hits = hits.sort(*_sort(query, text is not None))

    # Counting needs no scores: the text query runs in filter context (cacheable, no scoring).
    matching = [text, *plain_filters] if text is not None else plain_filters
    facets = Search().extra(size=0, track_total_hits=False)
    if matching:
        facets = facets.query(Q("bool", filter=matching))
    for name, agg in _facet_aggregations(facet_clauses).items():
        facets.aggs.bucket(name, agg)
    return {"hits": hits.to_dict(), "facets": facets.to_dict()}


def msearch_lines(bodies: dict[str, dict]) -> list[dict]:
    """compile_search's bodies as _msearch lines; the facet body asks for the request cache."""
    return [{}, bodies["hits"], {"request_cache": True}, bodies["facets"]]


def compile_suggest(prefix: str, limit: int, word: str = "") -> dict:
    """Completions of a normalized prefix: whole titles (the completion suggester), and as hits,
    newest first, titles with a word or identifier that starts with `word` (the prefix as an
    index term, as the database backend's `term:*A` query); plus the indexed categories, whose
    names the backend matches from the database. The word match is a post_filter so that the
    category aggregation still counts every document."""
    body = {
        "size": 0,
        "_source": ["title"],
        "suggest": {"titles": {"prefix": prefix, "completion": {"field": "suggest", "size": limit, "skip_duplicates": True}}},
        "aggs": {"categories": {"terms": {"field": "category_ids", "size": CATEGORY_LIMIT}}},
    }
    if word:
        body["size"] = limit * 2
        body["post_filter"] = Q("bool", should=[Q("prefix", title_tokens=word), Q("prefix", identifiers=word)],
                                minimum_should_match=1).to_dict()
        body["sort"] = TIE_BREAK
        body["track_total_hits"] = False
    return body


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compiled(query: SearchQuery, groups: tuple, typo_terms: tuple | None = None, relaxed: tuple | None = None) -> list[dict]:
    """msearch_lines(compile_search(...)), memoized: building the bodies with elasticsearch.dsl
    costs about as much as highlighting a page, and a popular query (every page of it) repeats.
    The lines are shared between calls: never mutate them."""
    return msearch_lines(compile_search(query, groups, typo_terms=typo_terms, relaxed=relaxed))


def search_lines(query: SearchQuery, groups, typo_terms=None, relaxed=None) -> list[dict]:
    """The _msearch lines of a query: the page and the facet counts (see compile_search)."""
    try:
        return _compiled(query, tuple(groups), None if typo_terms is None else tuple(typo_terms), relaxed)
    except TypeError:  # a query built with unhashable values (a list for `near`): not memoized
        return msearch_lines(compile_search(query, groups, typo_terms=typo_terms, relaxed=relaxed))


def presence_lines(groups, devices: bool = False) -> list[dict]:
    """_msearch lines asking whether any listing (any device, with `devices`) matches every group,
    then, for each group, whether any listing holds one of its terms (no filters, no scores, the
    first hit is enough)."""
    every = [text_query(groups), *([Q("term", accessory=False)] if devices else [])]
    lines = []
    for filters in (every, *([_group_query(group)] for group in groups)):
        lines += [{}, {"size": 0, "track_total_hits": 1, "terminate_after": 1,
                       "query": Q("bool", filter=filters).to_dict()}]
    return lines
