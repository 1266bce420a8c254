"""Listings as search documents: the one place that decides what is searchable and how.

Every backend indexes the dicts `build_documents` returns, so they agree on the text (already
normalized and segmented by `search.text`) and on the filter values.
"""
from collections.abc import Iterable
from functools import lru_cache

from certification.selectors import certified_listing_ids
from grading.conditions import condition_of
from listings.models import Category, GradeSource, Listing, ListingState
from search.analysis import analyse_listing, names_other_kind
from search.backends.base import price_to_fen
from search.text import identifier_tokens, index_tokens, normalize, stem
from search.vocabulary import vocabulary

# Attribute keys whose values are codes: indexed whole and in every normalized form.
IDENTIFIER_ATTRIBUTES = ("isbn", "oe_number", "oe_part_number", "part_number", "model", "model_number", "mpn")
# The listing fields `build_documents` reads. A rebuild loads only these: loading rows is about a
# third of a rebuild worker's time, and the rest (three more timestamps, two JSON lists, the
# suspension text) feed no search.
DOCUMENT_FIELDS = (
    "id", "state", "category_id", "kind", "title", "description", "attributes", "price", "city",
    "district", "latitude", "longitude", "grade_code", "grade_source", "published_at", "created_at", "deal",
)


def never_indexed(listing: Listing) -> bool:
    """A draft that was never published has never been active, so it has no index entry to remove
    (publishing sets `published_at`, and nothing clears it)."""
    return listing.state == ListingState.DRAFT and listing.published_at is None


def certified_ids(listing_ids: list[int]) -> set[int]:
    """Listings backed by a valid remanufacturing certificate: certification decides."""
    return certified_listing_ids(listing_ids)


def _category_chains(categories: dict[int, Category], category_id: int) -> list[Category]:
    """The category and its ancestors, nearest first (a cycle is cut rather than followed forever)."""
    chain, seen = [], set()
    current = categories.get(category_id)
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        chain.append(current)
        current = categories.get(current.parent_id) if current.parent_id else None
    return chain


def _attribute_text(attributes) -> str:
    if not isinstance(attributes, dict):
        return ""
    parts = []
    for value in attributes.values():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            parts.append(str(value))
        elif isinstance(value, list):
            parts.extend(str(v) for v in value if isinstance(v, str | int | float) and not isinstance(v, bool))
    return " ".join(parts)


def _identifiers(listing: Listing) -> list[str]:
    """Codes of the listing's attributes (ISBN, OE part number, model) whole and in every normalized
    form (those of its title come from search.analysis)."""
    attributes = listing.attributes if isinstance(listing.attributes, dict) else {}
    tokens = []
    codes = [str(attributes[key]) for key in IDENTIFIER_ATTRIBUTES if attributes.get(key)]
    if attributes.get("brand") and attributes.get("model"):
        codes.append(f"{attributes['brand']}{attributes['model']}")
    for code in codes:
        tokens.extend(_code_terms(code))
    return list(dict.fromkeys(tokens))


@lru_cache(maxsize=16384)  # listings share their codes (a model, brand + model): work each out once
def _code_terms(code: str) -> tuple[str, ...]:
    """A code whole, whatever separators it was written with (06H 121 026 DD -> 06h121026dd), then
    its identifier terms and the index terms with a digit."""
    return (
        _clean_term(normalize(code)),
        *identifier_tokens(code),
        *(term for term in index_tokens(code) if any(ch.isdigit() for ch in term)),
    )


def category_terms(category: Category | None, is_leaf: bool, ancestors: list[Category] = (),
                   own_kind: bool = True) -> list[str]:
    """Terms of the listing's own category: each name as one whole term, and, for a leaf
    category, its words too (a listing in 笔记本电脑 is found by 电脑); then the names of the
    categories above it, whole (a query naming a category finds what is filed in it or below it:
    手机平板 finds phones and tablets), and the vocabulary's concepts of all of them (图书 finds every
    book; search/vocabulary.txt). A listing filed under a parent (a charger under 手机平板) is not
    made a 手机 by the parent's name. `own_kind` False: a listing whose title names another kind
    of product than its category of one kind holds (AirPods filed among phones) is not found by
    that category's names and kind (手机), nor by those of a category of one kind above it (a
    laptop bag filed among laptops is no 电脑), only by the other categories above."""
    if category is None:
        return []
    terms = []
    vocab = vocabulary()
    def of_one_kind(current: Category) -> bool:
        return any(vocab.concepts[name].typed for name in vocab.by_category.get(current.slug, ()))

    if own_kind:
        for name in (category.name_zh, category.name_en):
            terms.append(_whole_name(name))
            if is_leaf:
                terms.extend(index_tokens(name))
    for above in ancestors:
        if own_kind or not of_one_kind(above):
            terms.extend(_whole_name(name) for name in (above.name_zh, above.name_en))
    for current in (category, *ancestors):
        for concept in vocab.by_category.get(current.slug, ()):
            if own_kind or not vocab.concepts[concept].typed:
                terms.extend(vocab.lineage(concept))
    return [term for term in dict.fromkeys(terms) if term]


def _whole_name(name: str) -> str:
    """A category name as one term (Phones & tablets -> phonestablet)."""
    words = [_clean_term(stem(word)) for word in normalize(name or "").split()]
    return "".join(words)


def typed_concepts(category: Category | None) -> tuple[str, ...]:
    """The concepts of a category of one kind of product (phones: 手机): its listings' kind when
    their title names none."""
    if category is None:
        return ()
    vocab = vocabulary()
    return tuple(name for name in vocab.by_category.get(category.slug, ()) if vocab.concepts[name].typed)


def _clean_term(word: str) -> str:
    return "".join(ch for ch in word if ch.isalnum())


def build_documents(listings: Iterable[Listing]) -> list[dict]:
    """One document per ACTIVE listing (others are left out: callers delete them from the index)."""
    active = [listing for listing in listings if listing.state == ListingState.ACTIVE]
    if not active:
        return []
    categories = {c.pk: c for c in Category.objects.all()}
    parents = {c.parent_id for c in categories.values() if c.parent_id}
    certified = certified_ids([listing.pk for listing in active])
    documents = []
    # Many listings share a category: its chain, names and terms are worked out once per batch.
    by_category: dict[int, tuple[list[Category], list[str], list[str], list[str], tuple[str, ...]]] = {}
    for listing in active:
        if listing.category_id not in by_category:
            chain = _category_chains(categories, listing.category_id)
            names = [name for category in chain for name in (category.name_zh, category.name_en) if name]
            is_leaf = listing.category_id not in parents
            own_terms = category_terms(chain[0] if chain else None, is_leaf, chain[1:])
            typed = tuple(name for category in chain for name in typed_concepts(category))
            other_kind_terms = category_terms(chain[0], is_leaf, chain[1:], own_kind=False) if typed else own_terms
            by_category[listing.category_id] = chain, names, own_terms, other_kind_terms, typed
        chain, names, category_tokens, other_kind_terms, typed = by_category[listing.category_id]
        slugs = tuple(category.slug for category in chain)
        body = " ".join(part for part in (listing.description, _attribute_text(listing.attributes)) if part)
        text = analyse_listing(listing.title, body, typed, slugs)
        if typed and names_other_kind(text.concepts, typed, slugs):
            category_tokens = other_kind_terms
        location = None
        if listing.latitude is not None and listing.longitude is not None:
            location = (float(listing.latitude), float(listing.longitude))
        standard = chain[0].grading_standard_code if chain else ""
        documents.append({
            "id": listing.pk,
            "title": listing.title,
            "description": listing.description,
            "title_tokens": " ".join(text.title_terms),
            "body_tokens": " ".join(text.body_terms),
            "identifiers": " ".join(dict.fromkeys([*_identifiers(listing), *text.identifiers])),
            "category_tokens": " ".join(dict.fromkeys([*category_tokens, *text.concepts])),
            "title_normalized": text.title_normalized,
            "category_ids": [category.pk for category in chain] or [listing.category_id],
            "category_name": chain[0].name_zh if chain else "",
            "kind": listing.kind,
            "deal": listing.deal,
            "grade_code": listing.grade_code,
            "condition": condition_of(standard, listing.grade_code),
            "accessory": text.accessory,
            "price_fen": price_to_fen(listing.price),
            "city": listing.city,
            "district": listing.district,
            "location": location,
            "certified": listing.pk in certified,
            "inspected": listing.grade_source == GradeSource.INSPECTION,
            "published_at": listing.published_at or listing.created_at,
            "state": listing.state,
            "suggest": [listing.title, *names],
        })
    return documents


def listings_for_documents(ids: list[int]):
    """The listings of `ids` in id order, with just the fields their documents need."""
    return Listing.objects.filter(pk__in=ids).order_by("pk").only(*DOCUMENT_FIELDS)


def active_id_batches(batch_size: int = 500):
    """Ids of every active listing in batches, category by category (by id within a category).

    A rebuild writes documents in this order, so the database backend's table holds each
    category's rows together: a word such as 空调 or laptop, whose matches are mostly in one
    category, then reads a few hundred pages instead of thousands (about 1.6x faster at 90,000).
    Keyset pagination within each category keeps memory flat."""
    category_ids = (Listing.objects.filter(state=ListingState.ACTIVE).order_by("category_id")
                    .values_list("category_id", flat=True).distinct())
    for category_id in list(category_ids):
        last_id = 0
        while True:
            ids = list(
                Listing.objects.filter(state=ListingState.ACTIVE, category_id=category_id, pk__gt=last_id)
                .order_by("pk").values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            yield ids
            last_id = ids[-1]


def iter_documents(batch_size: int = 500):
    """Documents of every active listing, built batch by batch in `active_id_batches` order (for rebuilds)."""
    for ids in active_id_batches(batch_size):
        yield from build_documents(listings_for_documents(ids))
