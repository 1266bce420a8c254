"""Listings sellers bring to their stall: attached by the stall holder, shown by stall number.

Attaching reads the listing (who manages it, whether it is on sale) and never writes it: only
`listings/` writes Listing fields.
"""
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from events import audit
from events.models import BookingStatus, EventListing, EventState, StallBooking
from events.permissions import can_organize
from events.services import lock_event
from listings.models import Listing, ListingState
from listings.permissions import can_manage
from marketplace.api.filters import MAX_ID
from marketplace.errors import Conflict, DomainError, NotAllowed

ON_SALE = (ListingState.ACTIVE, ListingState.RESERVED)


@transaction.atomic
def attach_listing(event, *, actor, listing_id) -> EventListing:
    """The holder of a confirmed stall brings one of their listings on sale to the event."""
    event = lock_event(event)
    if event.state not in (EventState.PUBLISHED, EventState.ONGOING):
        raise Conflict(_("Listings can be brought only to a published or ongoing event."), code="event_closed")
    booking = (StallBooking.objects.filter(event=event, holder=actor, status=BookingStatus.CONFIRMED)
               .select_related("stall").first())
    if booking is None:
        raise NotAllowed(_("Book a stall at this event first: listings are shown at their seller's stall."),
                         code="no_stall")
    listing = Listing.objects.select_related("organization").filter(pk=listing_id).first()
    if listing is None or not can_manage(actor, listing):
        raise DomainError(_("Name one of your own listings."), code="not_your_listing", field="listing")
    if listing.state not in ON_SALE:
        raise Conflict(_("Only a listing on sale can be brought to an event."), code="listing_not_on_sale",
                       field="listing")
    try:
        with transaction.atomic():
            link = EventListing.objects.create(event=event, listing=listing, booking=booking, attached_by=actor)
    except IntegrityError:
        raise Conflict(_("This listing is already at this event."), code="already_attached", field="listing") from None
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="listing",
                 subject_id=listing.pk, action="attach", detail={"stall": booking.stall.number})
    return link


@transaction.atomic
def detach_listing(event, *, actor, listing_id) -> None:
    """The stall holder (or the organizer) takes a listing off the stall."""
    event = lock_event(event)
    # An id beyond 64 bits names no listing (and SQLite cannot even bind it).
    link = listing_id <= MAX_ID and EventListing.objects.select_related("booking").filter(
        event=event, listing_id=listing_id).first()
    if not link:
        raise DomainError(_("This listing is not at this event."), code="not_attached", field="listing")
    if link.booking.holder_id != actor.pk and not can_organize(actor, event.organization):
        raise NotAllowed(_("Only the stall holder or the organizer may take a listing off the stall."))
    link.delete()
    audit.record(organization_id=event.organization_id, event_id=event.pk, actor=actor, subject="listing",
                 subject_id=listing_id, action="detach")
