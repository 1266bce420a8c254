"""Requests racing on one listing: the row lock lets exactly one win, and a row another request
just deleted is a 404, never a 500 (PostgreSQL only)."""
import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from listings import lifecycle, services
from listings.models import Listing, ListingTransition
from marketplace.errors import Conflict
from tests.helpers import assert_error_shape, run_together
from tests.listings.factories import active, publishable

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(action, listing, actors):
    """Run action(listing, actor) in one thread per actor, released together; returns (wins, conflicts)."""
    barrier, wins = threading.Barrier(len(actors)), []

    def attempt(actor):
        barrier.wait()
        action(listing, actor)
        wins.append(actor)

    errors = run_together(*(lambda actor=actor: attempt(actor) for actor in actors), timeout=30)
    unexpected = [error for error in errors if not isinstance(error, Conflict)]
    assert not unexpected, unexpected
    return len(wins), len(errors)


def test_only_one_of_two_concurrent_reservations_wins():
    listing = active()
    wins, conflicts = race(lambda item, actor: lifecycle.reserve(item, actor=actor), listing, [listing.seller, None])
    assert (wins, conflicts) == (1, 1)
    listing.refresh_from_db()
    assert listing.state == "reserved"
    assert ListingTransition.objects.filter(listing=listing, to_state="reserved").count() == 1


def test_only_one_of_two_concurrent_publishes_wins():
    listing = publishable()
    wins, conflicts = race(lambda item, actor: lifecycle.publish(item, actor=actor), listing, [listing.seller, listing.seller])
    assert (wins, conflicts) == (1, 1)
    assert ListingTransition.objects.filter(listing=listing, to_state="active").count() == 1


def test_a_reservation_racing_a_suspension_leaves_one_consistent_state():
    listing = active()

    def act(item, who):
        if who == "moderator":
            lifecycle.suspend(item, actor=None, reason="核查")
        else:
            lifecycle.reserve(item, actor=None)

    wins, conflicts = race(act, listing, ["moderator", "buyer"])
    listing.refresh_from_db()
    assert listing.state == "suspended"
    # Reservation first: both win and the suspension remembers "reserved".
    # Suspension first: the reservation is refused and the suspension remembers "active".
    assert (wins, conflicts, listing.suspended_from_state) in [(2, 0, "reserved"), (1, 1, "active")]


def _answers(requests):
    """Run each request (a callable returning a response) in its own thread, released together;
    returns the status codes and the bodies of the error answers."""
    barrier, answers = threading.Barrier(len(requests)), []

    def send(request):
        barrier.wait()
        answers.append(request())

    assert run_together(*(lambda request=request: send(request) for request in requests), timeout=60) == []
    for response in answers:
        if response.status_code >= 400:
            assert_error_shape(response, response.status_code)
    return sorted(response.status_code for response in answers)


def _client(user):
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_of_twenty_simultaneous_deletes_one_wins_and_the_others_are_404():
    draft = publishable()
    clients = [_client(draft.seller) for _ in range(20)]
    statuses = _answers([lambda client=client: client.delete(f"/api/v1/listings/{draft.pk}/") for client in clients])
    assert statuses == [204] + [404] * 19
    assert not Listing.objects.filter(pk=draft.pk).exists()


def test_publishing_while_the_draft_is_deleted_never_answers_500():
    draft = publishable()
    url = f"/api/v1/listings/{draft.pk}/"
    requests = []
    for index in range(10):
        client = _client(draft.seller)
        if index % 2:
            requests.append(lambda client=client: client.post(f"{url}publish/"))
        else:
            requests.append(lambda client=client: client.delete(url))
    statuses = _answers(requests)
    assert set(statuses) <= {200, 204, 404, 409}, statuses
    # Either a delete came first (one 204, the rest 404) or a publish did (one 200, then 409s
    # for the other publishes and the deletes, which only take drafts).
    assert statuses.count(204) + statuses.count(200) == 1


def _wait_for_lock_waiters(count, timeout=30.0):
    """Block until `count` sessions wait for a lock (PostgreSQL's pg_locks)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"{count} requests never queued up behind the lock")


def test_publishes_queued_behind_a_delete_are_404():
    """Requests that found the draft, then waited for its row lock while it was deleted."""
    draft = publishable()
    holding, go, statuses = threading.Event(), threading.Event(), []

    def delete_while_others_wait():
        with transaction.atomic():
            Listing.objects.select_for_update().get(pk=draft.pk)
            holding.set()
            assert go.wait(30)
            services.delete_draft(draft, actor=draft.seller)

    def publish():
        assert holding.wait(30)
        response = _client(draft.seller).post(f"/api/v1/listings/{draft.pk}/publish/")
        assert_error_shape(response, response.status_code)
        statuses.append(response.status_code)

    def conduct():
        assert holding.wait(30)
        _wait_for_lock_waiters(3)
        go.set()

    assert run_together(delete_while_others_wait, publish, publish, publish, conduct, timeout=60) == []
    assert statuses == [404, 404, 404]
