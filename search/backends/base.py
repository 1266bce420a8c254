"""The search interface every backend implements, and the query and result types it speaks.

A backend receives documents already built by `search.documents.build_documents` (text already
normalized and segmented by `search.text`) and answers `SearchQuery`s with `SearchResults`. The
semantics every backend must keep are pinned by the contract suite (tests/contract/):

- text: every query word (an OR-group of the word, its concept's words and its synonyms,
  `search.analysis.query_groups`) must match the title, the body, the identifiers or what the
  listing is (category and product kind); title and identifier matches rank above body matches;
  accessories rank below devices; when no listing matches every word, those that match a product
  word of the query (or every word but one) follow, the most words first (`search.analysis.relaxations`);
- filters combine with AND; a facet counts the results of the other filters (it ignores its own);
- totals are exact up to `TOTAL_CAP` and a lower bound beyond it (`total_is_exact` False);
- price facet buckets are fixed (`PRICE_BUCKETS`, yuan, lower bound inclusive);
- sort orders: relevance (newest first when there is no text), newest, price_asc, price_desc,
  distance (needs `near`); ties are broken by newest, then by id descending;
- highlights: `{"title": [...], "description": [...]}` with matched words in `<em>..</em>`,
  everything else HTML-escaped.
"""
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

TOTAL_CAP = 10_000
MAX_RESULT_WINDOW = 10_000  # deepest result (page * page_size) a query may ask for

SORTS = ("relevance", "newest", "price_asc", "price_desc", "distance")

# (label, from fen inclusive, to fen exclusive or None)
PRICE_BUCKETS = (
    ("0-100", 0, 100_00),
    ("100-500", 100_00, 500_00),
    ("500-1000", 500_00, 1000_00),
    ("1000-5000", 1000_00, 5000_00),
    ("5000+", 5000_00, None),
)

# The price steps of the database backend's facet cells: lower bounds in fen of a 1-2-5 series
# (0, 1, 2, 5, 10, 20, 50 ... yuan). Every facet bucket bound above is one of them, so a step
# lies in exactly one bucket, and the round prices people filter by (100, 200, 500, 2000 yuan)
# fall on step bounds: such a range is answered from the cells alone (see the database backend).
PRICE_STEPS = (0, *(mantissa * 10 ** exponent for exponent in range(2, 9) for mantissa in (1, 2, 5)))

FACETS = ("category", "kind", "grade", "condition", "city", "price")


class SearchUnavailable(Exception):
    """The backend cannot answer (node down, timeout): the API answers 503 search_unavailable."""


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    category: int | None = None
    kind: str | None = None
    grade: str | None = None
    condition: str | None = None  # a condition level common to every grading standard (grading.models.Condition)
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    city: str | None = None
    certified: bool | None = None
    inspected: bool | None = None
    deal: str | None = None  # sale | giveaway | swap (listings.models.Deal)
    # Only these listings (e.g. those brought to one event); None: no such restriction.
    listing_ids: frozenset[int] | None = None
    # Devices only (False) or accessories only (True); None: both. Set by the backends, not by
    # callers: a query asking for a device leaves accessories out while a device matches
    # (search.analysis.asks_for_a_device).
    accessory: bool | None = None
    near: tuple[float, float] | None = None  # (lat, lon)
    radius_km: float | None = None
    sort: str = "relevance"  # relevance|newest|price_asc|price_desc|distance
    page: int = 1
    page_size: int = 20

    @property
    def filtered(self) -> bool:
        """Does the query narrow the listings by anything but its words?"""
        return any(value is not None for value in (
            self.category, self.kind, self.grade, self.condition, self.min_price, self.max_price, self.city,
            self.certified, self.inspected, self.deal, self.listing_ids, self.radius_km,
        ))

    @property
    def filters_beyond_cells(self) -> bool:
        """Filters on what the database backend's facet cells do not carry (a radius, the deal,
        a set of listings, devices or accessories): its facets are then counted from the matching rows."""
        return ((self.near is not None and self.radius_km is not None) or bool(self.deal)
                or self.listing_ids is not None or self.accessory is not None)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def min_price_fen(self) -> int | None:
        return None if self.min_price is None else price_to_fen(self.min_price)

    @property
    def max_price_fen(self) -> int | None:
        return None if self.max_price is None else price_to_fen(self.max_price)


@dataclass
class SearchHit:
    id: int
    score: float
    highlights: dict[str, list[str]]
    distance_km: float | None = None


@dataclass
class SearchResults:
    hits: list[SearchHit]
    total: int
    total_is_exact: bool
    # {"category": [{"value": 3, "count": 10}], "kind": ..., "grade": ..., "condition": ..., "city": ...,
    #  "price": [{"value": "0-100", "count": ..}]}; values sorted by count desc, then value.
    facets: dict[str, list[dict]] = field(default_factory=dict)
    took_ms: float = 0.0
    # The cards of the page's listings that are still active (search.selectors.listing_cards), when
    # the backend read them with the page; None when it did not, and the API reads them itself.
    cards: dict[int, dict] | None = None


@dataclass
class Suggestions:
    """What a backend finds for a prefix: the categories holding an indexed listing (themselves or
    below; the service completes the prefix with their names) and the titles that complete it,
    best first (whole titles, then titles with a word that starts with it; newest first within each)."""

    category_ids: list[int]
    titles: list[str]


def price_to_fen(price: Decimal) -> int:
    return int((Decimal(price) * 100).to_integral_value())


def price_bucket(price_fen: int) -> str:
    for label, low, high in PRICE_BUCKETS:
        if price_fen >= low and (high is None or price_fen < high):
            return label
    return PRICE_BUCKETS[0][0]


def price_step(price_fen: int) -> tuple[int, int | None]:
    """The price step holding a price: (its lower bound, its upper bound or None), in fen."""
    index = bisect_right(PRICE_STEPS, max(price_fen, 0)) - 1
    return PRICE_STEPS[index], PRICE_STEPS[index + 1] if index + 1 < len(PRICE_STEPS) else None


def sort_facet_values(counts: dict) -> list[dict]:
    """Facet values by count descending, then value, as [{"value", "count"}]; price keeps bucket order."""
    return [{"value": value, "count": count} for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]


def price_facet(counts: dict[str, int]) -> list[dict]:
    return [{"value": label, "count": counts[label]} for label, _low, _high in PRICE_BUCKETS if counts.get(label)]


class SearchBackend(ABC):
    """One search engine behind the interface; instances are cheap and may be shared across threads."""

    name: str = ""
    # What the backend can do beyond the contract, e.g. {"typos"} for edit-distance tolerance;
    # judged queries that need a capability are scored only on backends that claim it.
    capabilities: frozenset[str] = frozenset()

    @abstractmethod
    def index(self, documents: list[dict]) -> None:
        """Add or replace these documents (each an ACTIVE listing), visible to the next search."""

    @abstractmethod
    def delete(self, ids: list[int]) -> None:
        """Remove these listing ids; ids not in the index are ignored."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResults:
        """Hits of one page, the total, facets and highlights. Raises SearchUnavailable."""

    @abstractmethod
    def suggest(self, prefix: str, limit: int = 10) -> Suggestions:
        """The indexed categories and up to a few times `limit` titles completing `prefix` (already
        normalized by search.text.normalize, not blank)."""

    @abstractmethod
    def rebuild(self, documents_iter: Iterable[dict], progress: Callable[[int], None] | None = None) -> int:
        """Replace the whole index with these documents; returns how many were indexed."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every document."""
