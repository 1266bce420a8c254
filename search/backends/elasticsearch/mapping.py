"""The Elasticsearch mapping of a listing document, a document as its _source, and the names of
its indices.

Text arrives already normalized and segmented by search.text (the same code the database
backend uses), so the token fields only need the prebuilt `whitespace` analyzer: any
Elasticsearch 8 node works without plugins and both backends agree on what a word is.
Clusters with ik/smartcn may name another analyzer in ELASTICSEARCH_TEXT_ANALYZER.
"""
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from elasticsearch.dsl import (
    Boolean,
    Completion,
    Date,
    Document,
    GeoPoint,
    Index,
    Keyword,
    Long,
    Text,
    normalizer,
)

from search.text import normalize

# Facet values compare case-insensitively (city "Guangzhou" == "guangzhou").
lowercase = normalizer("lowercase", filter=["lowercase"])

# Searched fields and their weights: title and identifiers, then what the listing is (its category
# and kind), far above a mention in the description (as the database backend's tsvector weights).
TEXT_FIELDS = {"title_tokens": 4.0, "identifiers": 4.0, "category_tokens": 3.0, "body_tokens": 0.4}
# Completion weights are 32-bit integers: minutes since 2020 fit for four thousand years.
MAX_WEIGHT = 2**31 - 1
RECENCY_EPOCH_MINUTES = 26_297_280  # 2020-01-01T00:00Z
SOURCE_FIELDS = (
    "id", "title", "description", "title_normalized", "title_tokens", "body_tokens", "identifiers",
    "category_tokens", "category_ids", "category_name", "kind", "grade_code", "condition", "accessory", "price_fen",
    "city", "district", "certified", "inspected", "state", "deal",
)


def text_analyzer() -> str:
    return settings.ELASTICSEARCH_TEXT_ANALYZER or "whitespace"


def index_prefix() -> str:
    return settings.ELASTICSEARCH_INDEX_PREFIX or "marketplace"


def alias_name() -> str:
    """The alias every read and live write goes through."""
    return f"{index_prefix()}_listings"


def building_alias_name() -> str:
    """Marks the index a rebuild is loading, so that live writes reach it too."""
    return f"{alias_name()}_building"


def document_class() -> type[Document]:
    """The Document class for the configured analyzer (read at call time: tests change settings)."""
    analyzer = text_analyzer()

    class ListingDocument(Document):
        id = Long()
        # Raw text, kept only to render highlights: never searched.
        title = Text(index=False)
        description = Text(index=False)
        title_normalized = Keyword(index=False, doc_values=False)
        title_tokens = Text(analyzer=analyzer)
        body_tokens = Text(analyzer=analyzer)
        identifiers = Text(analyzer=analyzer)
        category_tokens = Text(analyzer=analyzer)
        category_ids = Long(multi=True)
        # Filters match case-insensitively on the normalized field; facets count `.raw`, so they
        # show the values as sellers wrote them (grade "A", not "a").
        category_name = Keyword(normalizer=lowercase)
        kind = Keyword(normalizer=lowercase, fields={"raw": Keyword()})
        grade_code = Keyword(normalizer=lowercase, fields={"raw": Keyword()})
        condition = Keyword()
        accessory = Boolean()
        price_fen = Long()
        city = Keyword(normalizer=lowercase, fields={"raw": Keyword()})
        district = Keyword(normalizer=lowercase)
        location = GeoPoint()
        certified = Boolean()
        inspected = Boolean()
        published_at = Date()
        state = Keyword()
        deal = Keyword()
        # Whole-title completions. Inputs arrive normalized (search.text.normalize), so the
        # prebuilt keyword analyzer gives a case- and width-insensitive prefix match; weights put
        # the newest first. Titles with a word that starts with the prefix are a `prefix` query
        # on title_tokens and identifiers instead of a second completion field: one input per
        # title word made that field about 70% of the node's indexing work (docs/bench.md).
        suggest = Completion(analyzer="keyword", search_analyzer="keyword")

        class Meta:
            dynamic = "strict"

    return ListingDocument


def refresh_interval() -> str:
    """How often the live index makes writes searchable: 500 ms by default, so that a seller's
    change shows within a second of its commit (task latency included); 1 s is Elasticsearch's."""
    return settings.ELASTICSEARCH_REFRESH_INTERVAL


def build_index(name: str, *, loading: bool = False) -> Index:
    """An Index with our settings and mapping; `loading` turns refresh off for a bulk load."""
    index = Index(name)
    index.settings(
        number_of_shards=1,
        number_of_replicas=settings.ELASTICSEARCH_NUMBER_OF_REPLICAS,
        refresh_interval="-1" if loading else refresh_interval(),
        max_result_window=10_000,
    )
    index.document(document_class())
    return index


def index_body(*, loading: bool = False) -> dict:
    """The create-index request body (settings and mappings) as sent; pinned by a golden file."""
    return build_index("listings", loading=loading).to_dict()


def _recency(document: dict) -> int:
    """Minutes since 2020 as a completion weight: newer listings complete first."""
    published_at = document.get("published_at")
    if not isinstance(published_at, datetime):
        return 1
    return min(max(1, int(published_at.timestamp() // 60) - RECENCY_EPOCH_MINUTES), MAX_WEIGHT)


def to_source(document: dict) -> dict:
    """A search.documents dict as the _source of our mapping."""
    source = {key: document[key] for key in SOURCE_FIELDS if key in document}
    if not source.get("condition"):
        source.pop("condition", None)  # no condition level: no facet value
    location = document.get("location")
    if location is not None:
        source["location"] = {"lat": float(location[0]), "lon": float(location[1])}
    published_at = document.get("published_at")
    source["published_at"] = published_at.isoformat() if isinstance(published_at, datetime) else published_at
    weight = _recency(document)
    title = document.get("title_normalized") or normalize(document.get("title") or "")
    if title.strip():
        source["suggest"] = {"input": [title.strip()], "weight": weight}
    return source


def index_actions(documents: Iterable[dict], index: str, *, op_type: str = "index") -> Iterable[dict]:
    for document in documents:
        yield {"_op_type": op_type, "_index": index, "_id": str(document["id"]), "_source": to_source(document)}
