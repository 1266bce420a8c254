"""Index freshness on every backend: a committed change is searchable right after the commit; a
rolled-back change never reaches the index. Changes go through listings.signals.listing_changed,
exactly as listings.services and listings.lifecycle send it."""
from decimal import Decimal

import pytest
from django.db import transaction

from listings.models import Listing, ListingState
from listings.signals import listing_changed
from search.backends.base import SearchQuery, SearchUnavailable
from search.models import PendingIndexUpdate
from search.tasks import drain_pending_updates


def change(listing, **fields):
    """What a listings service does: save inside a transaction and send listing_changed."""
    with transaction.atomic():
        for name, value in fields.items():
            setattr(listing, name, value)
        listing.save(update_fields=[*fields, "updated_at"])
        listing_changed.send(sender=Listing, listing=listing, fields=set(fields), deleted=False)


def found(backend, corpus, **params):
    return corpus.keys(hit.id for hit in backend.search(SearchQuery(page_size=200, **params)).hits)


def test_an_edited_title_is_searchable_right_after_the_commit(use_backend, corpus, django_capture_on_commit_callbacks):
    listing = corpus.listings["f-desk-ikea"]
    with django_capture_on_commit_callbacks(execute=True):
        change(listing, title="宜家升降桌 电动 白色")
    assert found(use_backend, corpus, q="升降桌") == ["f-desk-ikea"]
    assert found(use_backend, corpus, q="120cm") == []  # only the old title said so


@pytest.mark.parametrize("state", [ListingState.SOLD, ListingState.SUSPENDED, ListingState.WITHDRAWN, ListingState.RESERVED])
def test_a_listing_that_leaves_the_active_state_disappears(use_backend, corpus, django_capture_on_commit_callbacks, state):
    listing = corpus.listings["b-santi"]
    assert found(use_backend, corpus, q="三体") == ["b-santi"]
    with django_capture_on_commit_callbacks(execute=True):
        change(listing, state=state)
    assert found(use_backend, corpus, q="三体") == []
    assert "b-santi" not in found(use_backend, corpus)


def test_a_listing_that_becomes_active_appears(use_backend, corpus, django_capture_on_commit_callbacks):
    listing = corpus.listings["x-draft"]
    with django_capture_on_commit_callbacks(execute=True):
        change(listing, state=ListingState.ACTIVE, published_at=corpus.listings["p-mate60"].published_at)
    assert found(use_backend, corpus, q="Mate X3") == ["x-draft"]


def test_a_new_price_moves_the_listing_between_filters(use_backend, corpus, django_capture_on_commit_callbacks):
    listing = corpus.listings["tv-sony"]
    assert "tv-sony" not in found(use_backend, corpus, q="电视", max_price=Decimal("1000"))
    with django_capture_on_commit_callbacks(execute=True):
        change(listing, price=Decimal("999.00"))
    assert "tv-sony" in found(use_backend, corpus, q="电视", max_price=Decimal("1000"))


def test_a_rolled_back_edit_changes_nothing(use_backend, corpus, django_capture_on_commit_callbacks):
    listing = corpus.listings["b-santi"]
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        change(listing, title="球状闪电 刘慈欣")
        raise RuntimeError("the service failed after the change")
    assert callbacks == []
    assert found(use_backend, corpus, q="三体") == ["b-santi"]
    assert found(use_backend, corpus, q="球状闪电") == []


def test_a_deleted_listing_disappears(use_backend, corpus, django_capture_on_commit_callbacks):
    listing = corpus.listings["o-shredder"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        listing_changed.send(sender=Listing, listing=listing, fields=set(), deleted=True)
        Listing.objects.filter(pk=listing.pk).delete()
    assert found(use_backend, corpus, q="碎纸机") == []


def test_a_failed_update_is_retried_by_the_drain(use_backend, corpus, django_capture_on_commit_callbacks, monkeypatch):
    listing = corpus.listings["f-bookshelf"]

    def unavailable(documents):
        raise SearchUnavailable("node down")

    with monkeypatch.context() as patch:
        patch.setattr(use_backend, "index", unavailable)
        with django_capture_on_commit_callbacks(execute=True):
            change(listing, title="实木书架 六层 落地")
    pending = PendingIndexUpdate.objects.get(listing_id=listing.pk)
    assert pending.attempts == 1 and "node down" in pending.last_error
    assert found(use_backend, corpus, q="六层") == []

    assert drain_pending_updates() == {"applied": 1, "failed": 0}
    assert not PendingIndexUpdate.objects.exists()
    assert found(use_backend, corpus, q="六层") == ["f-bookshelf"]
