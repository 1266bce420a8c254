"""Reads of the events app: who sees which events, events near a point, stock and share-day reports."""
import math
from collections import Counter

from django.db.models import Count, F, FloatField, Prefetch, Q
from django.db.models.functions import ASin, Cast, Cos, Power, Radians, Sin, Sqrt
from django.utils import timezone

from events.models import (
    HOLDING_STATUSES,
    BookCopy,
    CopyStatus,
    Event,
    EventListing,
    EventState,
    RingStatus,
    RsvpStatus,
    Stall,
    StallBooking,
    SwapOffer,
    SwapRingLink,
    SwapWant,
)
from events.permissions import visible_events_filter

EARTH_RADIUS_KM = 6371.0
UPCOMING_STATES = (EventState.PUBLISHED, EventState.ONGOING)


def visible_events(user):
    return Event.objects.filter(visible_events_filter(user))


def with_cards(queryset):
    """What an event card needs, in a constant number of queries."""
    return queryset.select_related("organization", "corner").annotate(
        stall_count=Count("stalls", distinct=True),
        going_count=Count("rsvps", filter=Q(rsvps__status=RsvpStatus.GOING), distinct=True),
    )


def upcoming(queryset, now=None):
    return queryset.filter(state__in=UPCOMING_STATES, ends_at__gt=now or timezone.now())


def near(queryset, latitude: float, longitude: float, radius_km: float):
    """Events within `radius_km` of the point, annotated with `distance_km` (great circle) and
    sorted nearest first; a bounding box on the indexed coordinates narrows the rows first."""
    lat_span = radius_km / 111.0
    lon_span = radius_km / max(1e-6, 111.0 * math.cos(math.radians(latitude)))
    boxed = queryset.filter(
        latitude__gte=latitude - lat_span, latitude__lte=latitude + lat_span,
        longitude__gte=longitude - lon_span, longitude__lte=longitude + lon_span,
    )
    lat = Radians(Cast(F("latitude"), FloatField()))
    lon = Radians(Cast(F("longitude"), FloatField()))
    origin_lat, origin_lon = math.radians(latitude), math.radians(longitude)
    haversine = (
        Power(Sin((lat - origin_lat) / 2), 2)
        + math.cos(origin_lat) * Cos(lat) * Power(Sin((lon - origin_lon) / 2), 2)
    )
    return (
        boxed.annotate(distance_km=2 * EARTH_RADIUS_KM * ASin(Sqrt(haversine)))
        .filter(distance_km__lte=radius_km)
        .order_by("distance_km", "starts_at", "id")
    )


def stalls_of_listings_at(user, event_id) -> dict[int, int] | None:
    """{listing id: stall number} of the listings brought to the event, for search's `event`
    filter; None when `user` may not see such an event."""
    if not visible_events(user).filter(pk=event_id).exists():
        return None
    return dict(EventListing.objects.filter(event_id=event_id).values_list("listing_id", "booking__stall__number"))


def stalls_with_holders(event):
    """The stall plan with each stall's current holding booking (if any)."""
    holding = StallBooking.objects.filter(status__in=HOLDING_STATUSES).select_related("holder")
    return (
        Stall.objects.filter(event=event).select_related("category")
        .prefetch_related(Prefetch("bookings", queryset=holding, to_attr="holding"))
        .order_by("number")
    )


def listings_at(event):
    """Listings sellers bring to the event, with their stall numbers (public listings only)."""
    from listings.selectors import PUBLIC_STATES

    return (
        EventListing.objects.filter(event=event, listing__state__in=PUBLIC_STATES)
        .select_related("listing__category", "listing__seller", "booking__stall")
        .order_by("booking__stall__number", "id")
    )


# --- campus book swaps --------------------------------------------------------------------------

def corner_stock(corner) -> dict:
    """What is on the corner's shelf: counts, by subject and by grade."""
    copies = BookCopy.objects.filter(corner=corner)
    shelf = copies.filter(status=CopyStatus.IN_STOCK)
    by_subject = shelf.values(subject=F("record__subject")).annotate(count=Count("pk")).order_by("-count", "subject")
    by_grade = shelf.values(grade=F("condition")).annotate(count=Count("pk")).order_by("grade")
    return {
        "corner": corner.pk,
        "in_stock": shelf.count(),
        "taken": copies.filter(status=CopyStatus.TAKEN).count(),
        "by_subject": [{"subject": row["subject"] or "", "count": row["count"]} for row in by_subject],
        "by_grade": [{"grade": row["grade"], "count": row["count"]} for row in by_grade],
    }


def share_day_exchanges(event) -> list[dict]:
    """Every book that changed hands on the share day: in fixed swap rings, and taken at its
    corner with credits while the day was on."""
    rows = []
    links = (SwapRingLink.objects.filter(ring__event=event, ring__status=RingStatus.FIXED)
             .select_related("ring", "offer__record", "giver", "receiver").order_by("ring_id", "position"))
    for link in links:
        record = link.offer.record
        rows.append({"mode": "swap", "isbn": record.isbn, "title": record.title, "subject": record.subject,
                     "school_grade": record.school_grade, "condition": link.offer.condition,
                     "giver_id": link.giver_id, "giver": link.giver.public_name, "receiver_id": link.receiver_id,
                     "receiver": link.receiver.public_name, "at": link.ring.status_changed_at})
    copies = (BookCopy.objects.filter(taken_at_event=event).select_related("record", "deposited_by", "taken_by")
              .order_by("taken_at", "id"))
    for copy in copies:
        record = copy.record
        rows.append({"mode": "credit", "isbn": record.isbn, "title": record.title, "subject": record.subject,
                     "school_grade": record.school_grade, "condition": copy.condition,
                     "giver_id": copy.deposited_by_id, "giver": copy.deposited_by.public_name,
                     "receiver_id": copy.taken_by_id, "receiver": copy.taken_by.public_name, "at": copy.taken_at})
    return rows


def share_day_report(event) -> dict:
    """Books exchanged (by subject, school grade and book grade) and the members taking part."""
    rows = share_day_exchanges(event)
    listed = set(SwapOffer.objects.filter(event=event).values_list("member_id", flat=True)) | set(
        SwapWant.objects.filter(event=event).values_list("member_id", flat=True)
    )
    exchanging = {row["giver_id"] for row in rows} | {row["receiver_id"] for row in rows}
    by_subject_and_grade = Counter((row["subject"], row["school_grade"]) for row in rows)
    return {
        "event": event.pk,
        "books_exchanged": len(rows),
        "by_mode": {"swap": sum(row["mode"] == "swap" for row in rows), "credit": sum(row["mode"] == "credit" for row in rows)},
        "by_subject_and_grade": [
            {"subject": subject, "school_grade": grade, "count": count}
            for (subject, grade), count in sorted(by_subject_and_grade.items())
        ],
        "by_condition": [{"grade": grade, "count": count}
                         for grade, count in sorted(Counter(row["condition"] for row in rows).items())],
        "members_taking_part": len(listed | exchanging),
        "members_exchanging": len(exchanging),
    }
