"""Listings expire after LISTING_TTL_DAYS, by the periodic task or the management command."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from listings import lifecycle
from listings.models import Listing, ListingTransition
from listings.services import expire_due_listings
from listings.tasks import expire_listings
from notifications.models import Notification
from tests.listings.factories import active

pytestmark = pytest.mark.django_db


def aged(days):
    listing = active()
    Listing.objects.filter(pk=listing.pk).update(expires_at=timezone.now() - timedelta(days=days))
    return listing


def test_only_active_listings_past_their_time_expire():
    due, fresh = aged(1), active()
    reserved = lifecycle.reserve(aged(2), actor=None)
    assert expire_due_listings() == 1
    states = dict(Listing.objects.values_list("pk", "state"))
    assert (states[due.pk], states[fresh.pk], states[reserved.pk]) == ("expired", "active", "reserved")
    audit = ListingTransition.objects.get(listing=due, to_state="expired")
    assert audit.actor is None and audit.from_state == "active"
    assert Notification.objects.filter(recipient=due.seller, kind="listing_expired").exists()
    assert expire_due_listings() == 0  # nothing left: running twice is harmless


def test_the_ttl_setting_decides_when(settings):
    settings.LISTING_TTL_DAYS = 7
    listing = active()
    assert expire_due_listings(now=timezone.now() + timedelta(days=6)) == 0
    assert expire_due_listings(now=timezone.now() + timedelta(days=7, minutes=1)) == 1
    listing.refresh_from_db()
    assert listing.state == "expired"


def test_the_management_command():
    aged(3), aged(4)
    out = StringIO()
    call_command("expire_listings", stdout=out)
    assert "2 listing(s) expired." in out.getvalue()
    assert Listing.objects.filter(state="expired").count() == 2


def test_the_periodic_task():
    aged(1)
    assert expire_listings.delay().get() == 1
