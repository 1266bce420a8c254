"""The search interface the rest of the project calls; it knows the configured backend, not its engine.

    get_backend()              the backend named by settings.SEARCH_BACKEND ("database" | "elasticsearch")
    index(listing)             (re)index one listing now: its document if active, else its removal
    delete(listing_id)         remove one listing from the index
    search(query)              SearchResults for a SearchQuery (raises DomainError past the last page)
    suggest(prefix, limit=10)  completions of a prefix (titles and category names)
    rebuild(progress=None)     rebuild the whole index from the database; returns the number indexed

Listing changes reach the index on their own (search.receivers -> search.tasks); call these
directly only from tasks, management commands and tests.
"""
import threading

from django.conf import settings
from django.utils.translation import gettext as _

from marketplace.errors import DomainError
from search.backends import load_backend
from search.backends.base import SearchBackend, SearchQuery, SearchResults
from search.documents import build_documents, never_indexed
from search.rebuild import ID_BATCH, parallel_documents
from search.text import normalize

_backends: dict[str, SearchBackend] = {}
_lock = threading.Lock()


def get_backend() -> SearchBackend:
    """The configured backend, one instance per name for the process (clients are reused)."""
    name = settings.SEARCH_BACKEND
    backend = _backends.get(name)
    if backend is None:
        with _lock:
            backend = _backends.get(name)
            if backend is None:
                backend = _backends[name] = load_backend(name)
    return backend


def reset_backends() -> None:
    """Forget cached backend instances (tests that switch SEARCH_BACKEND)."""
    with _lock:
        _backends.clear()


def index(listing) -> None:
    """Bring the index in step with this listing: its document when active, else no entry (a draft
    that was never published has none to remove: the backend is not called)."""
    documents = build_documents([listing])
    if documents:
        get_backend().index(documents)
    elif not never_indexed(listing):
        get_backend().delete([listing.pk])


def delete(listing_id: int) -> None:
    get_backend().delete([listing_id])


def search(query: SearchQuery) -> SearchResults:
    results = get_backend().search(query)
    if query.page > 1 and not results.hits:
        raise DomainError(
            _("Page %(page)s is past the last page of results.") % {"page": query.page},
            code="page_out_of_range", field="page",
        )
    return results


def suggest(prefix: str, limit: int = 10) -> list[str]:
    """Category names, then whole titles, then titles with a word that starts with the prefix, as
    the backend found them; each text once (compared normalized), at most `limit`."""
    from listings.models import Category

    normalized = normalize(prefix or "").strip()
    if not normalized or limit <= 0:
        return []
    found = get_backend().suggest(normalized, limit=limit)
    out: list[str] = []
    seen: set[str] = set()

    def add(text: str) -> None:
        key = normalize(text)
        if key not in seen and len(out) < limit:
            seen.add(key)
            out.append(text)

    for category in Category.objects.filter(pk__in=found.category_ids).order_by("position", "id"):
        for name in (category.name_zh, category.name_en):
            if name and normalize(name).startswith(normalized):
                add(name)
    for title in found.titles:
        add(title)
    return out


def rebuild(progress=None, workers: int = 1, batch_size: int = ID_BATCH) -> int:
    """Rebuild the index; documents are built by `workers` forked processes (1: in this one, which
    sees this connection's uncommitted rows, as tests need) while the backend writes."""
    return get_backend().rebuild(parallel_documents(workers, batch_size), progress=progress)
