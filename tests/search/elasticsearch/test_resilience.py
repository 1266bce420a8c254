"""The Elasticsearch backend against the real node, and what happens when the node is unreachable.

Unreachable is simulated by pointing ELASTICSEARCH_URL at a closed port (connection refused at
once); "back" is the real URL again. Listing changes go through the listings API, tasks run
eagerly, and on_commit callbacks are executed as in production.
"""
import pytest
from django.core.management import call_command

from marketplace.env import env_str
from search import service
from search.backends.base import SearchQuery, SearchUnavailable
from search.backends.elasticsearch import ElasticsearchBackend
from search.models import PendingIndexUpdate
from search.tasks import drain_pending_updates
from tests.helpers import assert_error_shape
from tests.listings.factories import active, publishable
from tests.search.elasticsearch.support import CLOSED_URL

pytestmark = [pytest.mark.elasticsearch, pytest.mark.django_db]


def es_settings_url(es_settings) -> str:
    """The real node's URL, as the environment gives it (what the settings started with)."""
    return env_str("ELASTICSEARCH_URL", "http://127.0.0.1:9200")


def found_titles(q: str) -> list[str]:
    from listings.models import Listing

    ids = [hit.id for hit in service.search(SearchQuery(q=q)).hits]
    return [Listing.objects.get(pk=pk).title for pk in ids]


def test_health_comes_from_cluster_health(es_backend):
    assert es_backend.health()["status"] in {"green", "yellow"}


def test_health_of_an_unreachable_node_is_search_unavailable(es_backend, settings):
    settings.ELASTICSEARCH_URL = CLOSED_URL
    with pytest.raises(SearchUnavailable):
        es_backend.health()


def test_search_answers_503_in_the_error_shape_when_the_node_is_unreachable(es_settings, api):
    es_settings.ELASTICSEARCH_URL = CLOSED_URL
    response = api.get("/api/v1/search/listings", {"q": "手机"})
    body = assert_error_shape(response, 503, "search_unavailable")
    assert "unavailable" in body["detail"].lower()
    assert_error_shape(api.get("/api/v1/search/suggest", {"prefix": "华为"}), 503, "search_unavailable")


def test_writes_succeed_while_the_node_is_down_and_arrive_in_order_after_the_drain(
    es_settings, client_for, user, django_capture_on_commit_callbacks,
):
    listing = publishable(seller=user, title="华为P40 手机")
    client = client_for(user)
    es_settings.ELASTICSEARCH_URL = CLOSED_URL
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/api/v1/listings/{listing.pk}/publish/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(f"/api/v1/listings/{listing.pk}/", {"title": "荣耀X10 手机"}, format="json")
    assert response.status_code == 200, response.content
    pending = PendingIndexUpdate.objects.get(listing_id=listing.pk)
    assert pending.attempts == 2 and pending.last_error

    es_settings.ELASTICSEARCH_URL = es_settings_url(es_settings)
    result = drain_pending_updates.delay().get()

    assert result == {"applied": 1, "failed": 0}
    assert not PendingIndexUpdate.objects.exists()
    # The listing's state at the time of the drain, not the first change that failed.
    assert found_titles("荣耀") == ["荣耀X10 手机"]
    assert found_titles("华为") == []


def test_a_withdrawal_while_the_node_is_down_removes_the_listing_after_the_drain(
    es_settings, client_for, user, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        listing = active(seller=user, title="九成新 电视柜")
    assert found_titles("电视柜") == ["九成新 电视柜"]
    es_settings.ELASTICSEARCH_URL = CLOSED_URL
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(f"/api/v1/listings/{listing.pk}/withdraw/", {"reason": "sold elsewhere"})
    assert response.status_code == 200, response.content
    assert PendingIndexUpdate.objects.filter(listing_id=listing.pk).exists()

    es_settings.ELASTICSEARCH_URL = es_settings_url(es_settings)
    drain_pending_updates.delay().get()

    assert found_titles("电视柜") == []


def test_a_drain_that_fails_again_keeps_the_update_for_the_next_one(
    es_settings, user, django_capture_on_commit_callbacks,
):
    es_settings.ELASTICSEARCH_URL = CLOSED_URL
    with django_capture_on_commit_callbacks(execute=True):
        listing = active(seller=user, title="自行车 捷安特")
    assert drain_pending_updates.delay().get() == {"applied": 0, "failed": 1}
    assert PendingIndexUpdate.objects.get(listing_id=listing.pk).attempts == 2

    es_settings.ELASTICSEARCH_URL = es_settings_url(es_settings)
    assert drain_pending_updates.delay().get() == {"applied": 1, "failed": 0}
    assert found_titles("捷安特") == ["自行车 捷安特"]


def test_an_update_applied_after_the_node_returns_is_not_undone_by_an_older_pending_one(
    es_settings, client_for, user, django_capture_on_commit_callbacks,
):
    listing = publishable(seller=user, title="旧标题 沙发")
    client = client_for(user)
    es_settings.ELASTICSEARCH_URL = CLOSED_URL
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/listings/{listing.pk}/publish/")
    assert PendingIndexUpdate.objects.filter(listing_id=listing.pk).exists()

    es_settings.ELASTICSEARCH_URL = es_settings_url(es_settings)
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(f"/api/v1/listings/{listing.pk}/", {"title": "新标题 沙发"}, format="json")
    drain_pending_updates.delay().get()

    assert found_titles("沙发") == ["新标题 沙发"]
    assert found_titles("旧标题") == []


def test_search_rebuild_heals_updates_lost_while_the_node_was_down(
    es_settings, user, django_capture_on_commit_callbacks,
):
    es_settings.ELASTICSEARCH_URL = CLOSED_URL
    with django_capture_on_commit_callbacks(execute=True):
        active(seller=user, title="单车 九成新")
    es_settings.ELASTICSEARCH_URL = es_settings_url(es_settings)
    assert found_titles("单车") == []

    call_command("search_rebuild", workers=1, no_progress=True)

    assert found_titles("单车") == ["单车 九成新"]


def test_search_rebuild_reports_an_unreachable_node_clearly(es_settings, user):
    from django.core.management.base import CommandError

    active(seller=user, title="书桌")
    es_settings.ELASTICSEARCH_URL = CLOSED_URL
    with pytest.raises(CommandError, match="unavailable"):
        call_command("search_rebuild", workers=1, no_progress=True)


def test_rebuild_swaps_the_alias_to_a_new_index_and_deletes_the_old_one(es_backend, user):
    first = active(seller=user, title="华为 手机 一")
    es_backend.index([document_of(first)])
    old = es_backend._indices_of(es_backend.alias)

    count = es_backend.rebuild(iter([document_of(first)]))

    new = es_backend._indices_of(es_backend.alias)
    assert count == 1
    assert len(new) == 1 and new != old
    assert not es_backend.client.indices.exists(index=old[0])
    assert not es_backend._indices_of(es_backend.building_alias)
    assert [hit.id for hit in es_backend.search(SearchQuery(q="华为")).hits] == [first.pk]


def test_a_live_write_during_a_rebuild_wins_over_the_older_copy_the_rebuild_loads(es_backend, user):
    listing = active(seller=user, title="旧 沙发")
    stale = document_of(listing)
    listing.title = "新 沙发"
    listing.save(update_fields=["title"])

    def documents():
        # The rebuild read its copy before the edit; the edit's live write lands meanwhile.
        es_backend.index([document_of(listing)])
        yield stale

    es_backend.rebuild(documents())

    hits = es_backend.search(SearchQuery(q="沙发")).hits
    assert [(hit.id, hit.highlights["title"]) for hit in hits] == [(listing.pk, ["新 <em>沙发</em>"])]


def test_a_delete_during_a_rebuild_is_not_undone_by_the_copy_the_rebuild_read(es_backend, user):
    kept = active(seller=user, title="书桌 留下")
    gone = active(seller=user, title="书桌 撤下")
    stale = document_of(gone)

    def documents():
        yield document_of(kept)
        # The rebuild read `gone` while active; it is withdrawn before its batch is sent.
        es_backend.delete([gone.pk])
        yield stale

    es_backend.rebuild(documents())

    results = es_backend.search(SearchQuery(q="书桌"))
    assert [hit.id for hit in results.hits] == [kept.pk]
    # No placeholder is left behind to be counted by a search without words.
    assert es_backend.search(SearchQuery()).total == 1


def test_a_failed_rebuild_leaves_the_live_index_untouched(es_backend, user):
    listing = active(seller=user, title="书桌 实木")
    es_backend.index([document_of(listing)])
    before = es_backend._indices_of(es_backend.alias)

    def documents():
        yield document_of(listing)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        es_backend.rebuild(documents())

    assert es_backend._indices_of(es_backend.alias) == before
    assert not es_backend._indices_of(es_backend.building_alias)
    assert [hit.id for hit in es_backend.search(SearchQuery(q="书桌")).hits] == [listing.pk]


def test_clear_drops_every_index_of_the_prefix_and_the_next_write_starts_afresh(es_backend, user):
    listing = active(seller=user, title="书桌 实木")
    es_backend.index([document_of(listing)])
    es_backend.clear()
    assert es_backend.search(SearchQuery(q="书桌")).total == 0
    es_backend.index([document_of(listing)])
    assert es_backend.search(SearchQuery(q="书桌")).total == 1


def test_a_throwaway_prefix_isolates_two_backends(es_backend, user, es_prefix):
    listing = active(seller=user, title="书桌 实木")
    es_backend.index([document_of(listing)])
    other = ElasticsearchBackend(index_prefix=f"{es_prefix}_other", refresh="wait_for")
    try:
        assert other.search(SearchQuery(q="书桌")).total == 0
    finally:
        other.clear()


def document_of(listing) -> dict:
    from search.documents import build_documents

    (document,) = build_documents([listing])
    return document

