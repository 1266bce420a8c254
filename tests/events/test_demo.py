"""The demo world has an upcoming flea market with listings at stalls and a share day with a ring."""
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from events.matching import Arc, is_valid
from events.models import (
    BookCopy,
    Event,
    EventListing,
    RingStatus,
    StallBooking,
    SwapOffer,
    SwapRing,
    SwapWant,
)


def snapshot():
    return (Event.objects.count(), StallBooking.objects.count(), EventListing.objects.count(), BookCopy.objects.count(),
            SwapOffer.objects.count(), SwapWant.objects.count(), SwapRing.objects.count())


def test_demo_market_and_share_day_and_idempotent(db, api):
    out = StringIO()
    call_command("load_demo", stdout=out)
    first = snapshot()
    call_command("load_demo", stdout=StringIO())
    assert snapshot() == first

    market = Event.objects.get(kind="flea_market")
    assert market.state == "published" and market.starts_at > timezone.now()
    assert market.stalls.count() == 12
    shown = api.get(f"/api/v1/events/{market.pk}/listings").json()
    assert len(shown) >= 5 and {row["stall"] for row in shown} == {1, 3, 7}
    assert api.get("/api/v1/events/", {"near": "23.13,113.33", "upcoming": "true"}).json()["results"][0]["id"] == market.pk

    day = Event.objects.get(kind="book_swap")
    assert day.visibility == "members" and day.corner.copies.filter(status="in_stock").count() == 4
    run = day.matching_runs.get()
    assert run.books_moved > run.books_moved_pairs_only
    ring = SwapRing.objects.get(event=day, status=RingStatus.PROPOSED)
    offers = list(SwapOffer.objects.filter(event=day).values_list("pk", "member_id", "record__isbn"))
    wants = list(SwapWant.objects.filter(event=day).values_list("pk", "member_id", "record__isbn"))
    arcs = [Arc(link.giver_id, link.receiver_id, link.offer_id, link.want_id) for link in ring.links.order_by("position")]
    assert is_valid([arcs], offers, wants, 4) and len(arcs) == 4
    assert "rings move 4 books, pairs alone 2" in out.getvalue()
