"""The indexing pipeline: signal -> on_commit -> task -> backend, failures kept for the drain."""
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from listings.models import Listing, ListingState
from listings.signals import listing_changed
from search import service, tasks
from search.backends.base import SearchQuery, SearchUnavailable
from search.models import ListingSearchDocument, PendingIndexUpdate
from tests.contract.corpus import create_corpus


@pytest.fixture
def corpus(database_search, db):
    created = create_corpus()
    database_search.rebuild(created.documents())
    return created


def send_change(listing):
    with transaction.atomic():
        listing_changed.send(sender=Listing, listing=listing, fields={"title"}, deleted=False)


def test_the_receiver_waits_for_the_commit(corpus, django_capture_on_commit_callbacks):
    listing = corpus.listings["b-santi"]
    Listing.objects.filter(pk=listing.pk).update(title="三体 典藏版")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_change(listing)
        assert ListingSearchDocument.objects.get(pk=listing.pk).title == "三体 全集 刘慈欣 科幻小说"
    assert len(callbacks) == 1
    callbacks[0]()
    assert ListingSearchDocument.objects.get(pk=listing.pk).title == "三体 典藏版"


def test_an_update_indexes_the_state_of_the_listing_when_it_runs(corpus):
    listing = corpus.listings["b-santi"]
    Listing.objects.filter(pk=listing.pk).update(state=ListingState.SOLD)
    # The task was queued while the listing was active; it applies what is true now.
    assert tasks.update_listing_index(listing.pk) is True
    assert not ListingSearchDocument.objects.filter(pk=listing.pk).exists()


def test_an_update_of_a_listing_that_no_longer_exists_removes_it(corpus):
    assert tasks.update_listing_index(10**9) is True


def test_a_broker_that_refuses_the_task_leaves_a_pending_update(corpus, monkeypatch, django_capture_on_commit_callbacks):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.update_listing_index, "delay", refuse)
    listing = corpus.listings["b-santi"]
    with django_capture_on_commit_callbacks(execute=True):
        send_change(listing)
    pending = PendingIndexUpdate.objects.get()
    assert (pending.listing_id, pending.attempts) == (listing.pk, 1)
    assert "broker down" in pending.last_error


def test_repeated_failures_count_attempts_on_one_row(corpus, database_search, monkeypatch):
    def fail(documents):
        raise SearchUnavailable("disk full")

    monkeypatch.setattr(database_search, "index", fail)
    listing = corpus.listings["b-santi"]
    assert tasks.update_listing_index(listing.pk) is False
    assert tasks.update_listing_index(listing.pk) is False
    assert tasks.drain_pending_updates() == {"applied": 0, "failed": 1}
    pending = PendingIndexUpdate.objects.get()
    assert pending.attempts == 3 and pending.last_error == "disk full"


def test_the_drain_retries_oldest_first_and_keeps_what_still_fails(corpus, database_search, monkeypatch):
    now = timezone.now()
    order = []
    keys = ["b-santi", "b-huozhe", "b-honglou"]
    for age, key in zip((1, 3, 2), keys, strict=True):
        PendingIndexUpdate.objects.create(listing_id=corpus.id(key), queued_at=now - timedelta(minutes=age),
                                          last_attempt_at=now - timedelta(minutes=age), attempts=1)
    real_index = database_search.index

    def index(documents):
        order.append(corpus.key(documents[0]["id"]))
        if documents[0]["id"] == corpus.id("b-honglou"):
            raise SearchUnavailable("still down")
        real_index(documents)

    monkeypatch.setattr(database_search, "index", index)
    assert tasks.drain_pending_updates() == {"applied": 2, "failed": 1}
    assert order == ["b-huozhe", "b-honglou", "b-santi"]
    assert list(PendingIndexUpdate.objects.values_list("listing_id", "attempts")) == [(corpus.id("b-honglou"), 2)]


def test_a_success_clears_an_older_failure(corpus):
    listing = corpus.listings["b-santi"]
    PendingIndexUpdate.objects.create(listing_id=listing.pk, queued_at=timezone.now() - timedelta(minutes=5),
                                      last_attempt_at=timezone.now() - timedelta(minutes=5), attempts=1)
    assert tasks.update_listing_index(listing.pk) is True
    assert not PendingIndexUpdate.objects.exists()


def test_rebuild_replaces_the_index_and_reports_progress(corpus, database_search):
    ListingSearchDocument.objects.filter(pk=corpus.id("b-santi")).delete()
    Listing.objects.filter(pk=corpus.id("b-huozhe")).update(state=ListingState.WITHDRAWN)
    seen = []
    count = service.rebuild(progress=seen.append)
    assert count == len(corpus.active()) - 1 == ListingSearchDocument.objects.count()
    assert seen[-1] == count
    assert service.search(SearchQuery(q="三体")).total == 1
    assert service.search(SearchQuery(q="活着")).total == 0


def test_index_and_delete_through_the_service(corpus):
    listing = corpus.listings["b-santi"]
    service.delete(listing.pk)
    assert service.search(SearchQuery(q="三体")).total == 0
    service.index(listing)
    assert service.search(SearchQuery(q="三体")).total == 1
    assert service.suggest("  ") == []


def test_the_demo_loader_indexes_every_active_listing(corpus):
    from search import demo

    ListingSearchDocument.objects.all().delete()
    assert demo.load({}) == f"{len(corpus.active())} active listings indexed"
    assert ListingSearchDocument.objects.count() == len(corpus.active())


def test_certified_comes_from_certification_not_from_the_kind(corpus, monkeypatch):
    from search.documents import build_documents

    remanufactured = corpus.listings["au-waterpump"]
    # No certificate is linked to it: the kind alone is not enough.
    assert build_documents([remanufactured])[0]["certified"] is False
    monkeypatch.setattr("search.documents.certified_listing_ids", lambda ids: {remanufactured.pk})
    assert build_documents([remanufactured])[0]["certified"] is True


def test_a_rebuild_reads_the_active_listings_category_by_category(corpus):
    """Each active listing once, in batches of one category each, categories in order: the
    database backend's table then keeps a category's rows together."""
    from search.documents import active_id_batches

    batches = list(active_id_batches(batch_size=3))
    ids = [listing_id for batch in batches for listing_id in batch]
    active = Listing.objects.filter(state=ListingState.ACTIVE)
    assert sorted(ids) == sorted(active.values_list("pk", flat=True)) and len(ids) == len(set(ids))
    category_of = dict(active.values_list("pk", "category_id"))
    assert all(len(batch) <= 3 and len({category_of[i] for i in batch}) == 1 for batch in batches)
    order = [category_of[batch[0]] for batch in batches]
    assert order == sorted(order)


def test_a_rebuild_batch_loads_only_the_fields_its_documents_read(corpus, django_assert_num_queries):
    """Documents from the trimmed rows equal those from whole rows, with no query per listing
    for a deferred field (listings, categories, certificates: three queries per batch)."""
    from search.documents import build_documents, listings_for_documents

    ids = sorted(corpus.id(key) for key in corpus.active())
    with django_assert_num_queries(3):
        trimmed = build_documents(listings_for_documents(ids))
    assert trimmed == build_documents(list(Listing.objects.filter(pk__in=ids).order_by("pk")))
    assert len(trimmed) == len(ids)
