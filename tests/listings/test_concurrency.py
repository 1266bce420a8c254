"""Two requests racing on one listing: the row lock lets exactly one win (PostgreSQL only)."""
import threading

import pytest

from listings import lifecycle
from listings.models import ListingTransition
from marketplace.errors import Conflict
from tests.helpers import run_together
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
