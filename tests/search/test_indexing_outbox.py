"""Index updates call the engine outside any lock and transaction, in order by the outbox's
sequence; drafts never published ask nothing of the engine; failed updates are drained by
`manage.py search_drain`, and in the embedded mode by the next update that succeeds."""
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from listings.models import Listing, ListingState
from search import service, tasks
from search.backends.base import SearchQuery, SearchUnavailable
from search.models import ListingSearchDocument, PendingIndexUpdate
from tests.listings.factories import active, category


class Spy:
    """Records what reaches the engine, then lets it through to the real backend."""

    def __init__(self, backend, monkeypatch):
        self.backend, self.calls = backend, []
        self.real_index, self.real_delete = backend.index, backend.delete
        self.during_index = None  # called inside the engine call, before the real write
        self.fail_for: set[int] = set()
        monkeypatch.setattr(backend, "index", self.index)
        monkeypatch.setattr(backend, "delete", self.delete)

    def index(self, documents):
        self.calls.append(("index", [(d["id"], d["title"]) for d in documents]))
        if self.during_index is not None:
            self.during_index(documents)
        if {d["id"] for d in documents} & self.fail_for:
            raise SearchUnavailable("engine down")
        self.real_index(documents)

    def delete(self, ids):
        self.calls.append(("delete", list(ids)))
        self.real_delete(ids)


@pytest.fixture
def spy(database_search, monkeypatch):
    return Spy(database_search, monkeypatch)


def found(q):
    return [hit.id for hit in service.search(SearchQuery(q=q)).hits]


# ------------------------------------------------------------------- drafts --

@pytest.mark.django_db
def test_saving_and_deleting_a_draft_sends_nothing_to_the_engine(spy, client_for, user,
                                                                   django_capture_on_commit_callbacks):
    client = client_for(user)
    payload = {"category": category("furniture").pk, "title": "宜家书柜 九成新", "description": "搬家转让",
               "price": "280.00", "handover_options": ["pickup"], "city": "广州市", "district": "天河区",
               "attributes": {"material": "刨花板"}}
    with django_capture_on_commit_callbacks(execute=True):
        listing_id = client.post("/api/v1/listings/", payload, format="json").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.patch(f"/api/v1/listings/{listing_id}/", {"title": "宜家书柜 八成新"},
                            format="json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/listings/{listing_id}/").status_code == 204
    assert spy.calls == []
    assert not PendingIndexUpdate.objects.exists()


@pytest.mark.django_db
def test_a_listing_that_was_published_is_still_removed_when_it_leaves_sale(spy, user):
    listing = active(seller=user, title="宜家书柜 九成新")
    service.index(Listing.objects.get(pk=listing.pk))
    Listing.objects.filter(pk=listing.pk).update(state=ListingState.WITHDRAWN)
    spy.calls.clear()

    assert tasks.update_listing_index(listing.pk) is True

    assert spy.calls == [("delete", [listing.pk])]
    assert not ListingSearchDocument.objects.filter(pk=listing.pk).exists()


@pytest.mark.django_db
def test_the_service_removes_nothing_for_a_draft_never_published(spy, user):
    listing = active(seller=user, title="宜家书柜 九成新")
    Listing.objects.filter(pk=listing.pk).update(state=ListingState.DRAFT, published_at=None)
    spy.calls.clear()
    service.index(Listing.objects.get(pk=listing.pk))
    assert spy.calls == []


# -------------------------------------------------------------------- order --

@pytest.mark.django_db
def test_a_change_asked_for_during_an_engine_call_is_applied_after_it_by_the_update_in_flight(spy, user):
    """The second update finds the first one's claim and hands over: it never calls the engine
    while the first does, and the first reads the listing again once its call returns."""
    listing = active(seller=user, title="旧标题 沙发")
    spy.calls.clear()
    handed_over = []

    def change_meanwhile(documents):
        spy.during_index = None
        Listing.objects.filter(pk=listing.pk).update(title="新标题 沙发")
        handed_over.append(tasks.apply_update(listing.pk))

    spy.during_index = change_meanwhile
    assert tasks.update_listing_index(listing.pk) is True

    assert handed_over == [False]
    assert spy.calls == [("index", [(listing.pk, "旧标题 沙发")]), ("index", [(listing.pk, "新标题 沙发")])]
    assert found("新标题") == [listing.pk] and found("旧标题") == []
    assert not PendingIndexUpdate.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_engine_is_called_outside_any_transaction(spy, user):
    """Provably after every commit of the update: nothing is locked while the engine works."""
    listing = active(seller=user, title="书桌 实木")
    seen = []
    spy.during_index = lambda documents: seen.append(connection.in_atomic_block)

    assert tasks.update_listing_index(listing.pk) is True

    assert seen == [False]
    assert PendingIndexUpdate.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_another_connection_can_lock_and_change_the_listing_while_the_engine_is_called(spy, user):
    """PostgreSQL: while an update waits for the engine, a seller's request locks the listing row
    at once, and its own update is handed to the one in flight, which applies it next."""
    from tests.helpers import run_together

    listing = active(seller=user, title="旧 书桌")
    spy.calls.clear()
    in_engine, finish = threading.Event(), threading.Event()
    outcome = {}

    def slow_engine(documents):
        if documents[0]["title"] == "旧 书桌":
            in_engine.set()
            assert finish.wait(30)

    spy.during_index = slow_engine

    def indexer():
        outcome["first"] = tasks.update_listing_index(listing.pk)

    def seller():
        assert in_engine.wait(30)
        try:
            with transaction.atomic():
                locked = Listing.objects.select_for_update(nowait=True).get(pk=listing.pk)
                locked.title = "新 书桌"
                locked.save(update_fields=["title"])
            outcome["second"] = tasks.update_listing_index(listing.pk)
        finally:
            finish.set()

    assert run_together(indexer, seller) == []

    assert outcome == {"first": True, "second": True}
    assert [titles for _op, titles in spy.calls] == [[(listing.pk, "旧 书桌")], [(listing.pk, "新 书桌")]]
    assert found("新") == [listing.pk]
    assert not PendingIndexUpdate.objects.exists()


@pytest.mark.django_db
def test_a_claim_left_by_a_worker_that_died_is_taken_over_once_it_times_out(spy, user):
    listing = active(seller=user, title="自行车 捷安特")
    stale = timezone.now() - tasks.CLAIM_TIMEOUT - timedelta(seconds=1)
    PendingIndexUpdate.objects.create(listing_id=listing.pk, queued_at=stale, claimed_at=stale, sequence=1)
    spy.calls.clear()

    assert tasks.drain_pending_updates() == {"applied": 1, "failed": 0}

    assert spy.calls == [("index", [(listing.pk, "自行车 捷安特")])]
    assert not PendingIndexUpdate.objects.exists()


@pytest.mark.django_db
def test_a_live_claim_is_left_to_its_holder(spy, user):
    listing = active(seller=user, title="自行车 捷安特")
    PendingIndexUpdate.objects.create(listing_id=listing.pk, queued_at=timezone.now(), claimed_at=timezone.now(),
                                      sequence=1)
    spy.calls.clear()

    assert tasks.drain_pending_updates() == {"applied": 0, "failed": 0}
    assert tasks.update_listing_index(listing.pk) is True  # handed over

    assert spy.calls == []
    assert PendingIndexUpdate.objects.get().sequence == 2


# -------------------------------------------------------------------- drain --

def _fail_then_recover(spy, *listings):
    """Each listing's update fails (engine down); then the engine is back."""
    spy.fail_for = {listing.pk for listing in listings}
    for listing in listings:
        assert tasks.update_listing_index(listing.pk) is False
    spy.fail_for = set()
    spy.calls.clear()


@pytest.mark.django_db
def test_a_failed_update_is_kept_then_applied_by_the_drain_command(spy, user, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as with a broker: nothing drains on its own
    first, second = active(seller=user, title="旧 沙发"), active(seller=user, title="旧 书桌")
    _fail_then_recover(spy, first, second)
    Listing.objects.filter(pk=first.pk).update(title="新 沙发")
    assert list(PendingIndexUpdate.objects.values_list("listing_id", "attempts")) == [(first.pk, 1), (second.pk, 1)]

    out = StringIO()
    call_command("search_drain", no_progress=True, stdout=out, stderr=StringIO())

    assert "Applied 2 of 2" in out.getvalue()
    assert [ids for _op, ids in spy.calls] == [[(first.pk, "新 沙发")], [(second.pk, "旧 书桌")]]
    assert not PendingIndexUpdate.objects.exists()
    assert found("新") == [first.pk]


@pytest.mark.django_db
def test_the_drain_command_fails_and_keeps_the_updates_while_the_engine_is_down(spy, user, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    listing = active(seller=user, title="旧 沙发")
    _fail_then_recover(spy, listing)
    spy.fail_for = {listing.pk}

    with pytest.raises(CommandError, match="1 of 1"):
        call_command("search_drain", no_progress=True, stdout=StringIO(), stderr=StringIO())

    assert PendingIndexUpdate.objects.get().attempts == 2


@pytest.mark.django_db
def test_in_the_embedded_mode_the_next_update_that_succeeds_drains_older_failures_in_order(spy, user, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    older, old, new = (active(seller=user, title=title) for title in ("旧 沙发", "旧 书桌", "新 台灯"))
    _fail_then_recover(spy, old, older)
    PendingIndexUpdate.objects.filter(listing_id=older.pk).update(queued_at=timezone.now() - timedelta(minutes=5))

    assert tasks.update_listing_index(new.pk) is True

    assert [ids[0][0] for _op, ids in spy.calls] == [new.pk, older.pk, old.pk]
    assert not PendingIndexUpdate.objects.exists()


@pytest.mark.django_db
def test_in_the_embedded_mode_the_retries_stop_at_the_first_that_fails_again(spy, user, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    first, second, new = (active(seller=user, title=title) for title in ("旧 沙发", "旧 书桌", "新 台灯"))
    _fail_then_recover(spy, first, second)
    spy.fail_for = {first.pk}

    assert tasks.update_listing_index(new.pk) is True

    assert [ids[0][0] for _op, ids in spy.calls] == [new.pk, first.pk]
    assert dict(PendingIndexUpdate.objects.values_list("listing_id", "attempts")) == {first.pk: 2, second.pk: 1}


@pytest.mark.django_db
def test_with_a_broker_a_successful_update_leaves_the_failures_to_beat(spy, user, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    failed, new = active(seller=user, title="旧 沙发"), active(seller=user, title="新 台灯")
    _fail_then_recover(spy, failed)

    assert tasks.update_listing_index(new.pk) is True

    assert [ids[0][0] for _op, ids in spy.calls] == [new.pk]
    assert PendingIndexUpdate.objects.get().listing_id == failed.pk
