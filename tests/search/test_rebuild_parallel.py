"""Rebuilds that build documents in forked worker processes (PostgreSQL only: the workers read
committed rows through their own connections, which an in-memory SQLite test database has not)."""
from io import StringIO

import pytest
from django.core.management import call_command

from listings.models import ListingState
from search import rebuild, service
from search.backends.base import SearchQuery
from search.documents import iter_documents
from tests.contract.corpus import create_corpus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def corpus():
    return create_corpus()


def test_workers_build_the_documents_a_single_process_builds_in_the_same_order(corpus):
    assert list(rebuild.parallel_documents(2, batch_size=7)) == list(iter_documents(batch_size=7))


def test_the_parent_never_holds_more_than_a_few_batches_ahead_of_the_backend(corpus, monkeypatch):
    read_batches = []
    id_batches = rebuild._id_batches

    def counted(batch_size):
        for ids in id_batches(batch_size):
            read_batches.append(ids)
            yield ids

    monkeypatch.setattr(rebuild, "_id_batches", counted)
    taken = 0
    for document in rebuild.parallel_documents(2, batch_size=5):
        # Batches are at most 5 ids (fewer at the end of a category): count the one this came from.
        taken = next(number for number, ids in enumerate(read_batches, 1) if document["id"] in ids)
        # Batches handed to the pool but not yet taken by this (slow) consumer.
        assert len(read_batches) - taken <= 2 * rebuild.IN_FLIGHT_PER_WORKER
    assert len(read_batches) == taken > 2 * rebuild.IN_FLIGHT_PER_WORKER


def test_search_rebuild_with_workers_indexes_every_active_listing_with_the_database_backend(corpus, database_search):
    active = sum(listing.state == ListingState.ACTIVE for listing in corpus.listings.values())

    out = StringIO()
    call_command("search_rebuild", workers=2, batch_size=9, no_progress=True, stdout=out, stderr=StringIO())

    assert f"{active}" in out.getvalue()
    assert service.search(SearchQuery(page_size=100)).total == active
