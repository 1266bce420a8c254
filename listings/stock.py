"""The units of a listing that checkouts take, give back and sell: the stock arithmetic, in one place.

`Listing.quantity` counts the units not sold yet. Units held by unpaid checkouts are counted by
the caller (orders keeps them on its orders) and passed in as `held`, so this module never
reads another app's tables. Every function takes the listing locked (select_for_update, in the
caller's transaction, taken before the caller locks anything else) and returns the fresh copy.
State changes go through `listings.lifecycle` with actor=None (the platform):

* no unit left for another buyer -> the listing becomes reserved (it leaves search);
* units come back (a checkout expired or was cancelled) to a listing reserved for lack of
  stock -> it is active again;
* the last unit is paid for -> the listing is sold. A sold listing keeps the quantity of its
  last sale (the quantity of a listing is at least 1); its state says that none is left.

`Listing.quantity` is also the seller's to change (listings.services.update_listing): never below
the units checkouts hold (`held`, summed over the counters other apps register with
`register_holder`), and `requantified` moves the listing the way the stock now says.
"""
from collections.abc import Callable

from django.utils.translation import gettext as _

from listings import deals, lifecycle
from listings.eligibility import ORDER
from listings.models import Listing, ListingState
from listings.signals import listing_changed
from marketplace.errors import Conflict

S = ListingState

# Apps that hold units outside listings (orders: unpaid checkouts) register a counter here, so that
# listings can ask how many units are held without reading their tables.
_HOLDERS: list[Callable[[Listing], int]] = []


def register_holder(count: Callable[[Listing], int]) -> None:
    if count not in _HOLDERS:
        _HOLDERS.append(count)


def held(listing) -> int:
    """Units of `listing` held by every registered holder (take the listing locked first)."""
    return sum(count(listing) for count in _HOLDERS)


def check_quantity(listing, quantity: int) -> int:
    """The seller may lower the quantity down to the units checkouts hold, not below (409).
    Returns the units held."""
    units_held = held(listing)
    if quantity < units_held:
        raise Conflict(
            _("%(held)d units are held by buyers checking out: the quantity cannot go below that.")
            % {"held": units_held},
            code="units_held", field="quantity",
        )
    return units_held


def requantified(listing, old_quantity: int, *, held: int, reason: str) -> Listing:
    """After the seller changed the quantity: a listing whose every unit is now held is reserved;
    one reserved because no unit was free is active again when free units are added."""
    if listing.state == S.ACTIVE and listing.quantity - held <= 0:
        return lifecycle.reserve(listing, actor=None, reason=reason, source=ORDER)
    if listing.state == S.RESERVED and held > 0 and old_quantity - held <= 0 < listing.quantity - held:
        return lifecycle.release(listing, actor=None, reason=reason, source=ORDER)
    return listing


def free_units(listing, *, held: int) -> int:
    """Units another buyer may still take: none unless the listing is active."""
    if listing.state != S.ACTIVE:
        return 0
    return max(listing.quantity - held, 0)


def reserve(listing, units: int, *, held: int, reason: str) -> Listing:
    """Take `units` for a checkout (409 when the listing is not on sale or has fewer left)."""
    if listing.state == S.RESERVED:
        raise Conflict(
            _("Someone else is buying this item right now. It comes back on sale if they do not pay in time."),
            code="listing_reserved",
        )
    if listing.state != S.ACTIVE:
        raise Conflict(_("This listing is not on sale."), code="listing_not_on_sale")
    if not deals.takes_payment(listing):
        # Giveaways and swaps change hands without payment (listings.deals): never through checkout.
        raise Conflict(_("This item is given away or offered for swap: contact the seller instead of paying."),
                       code="not_for_payment")
    free = free_units(listing, held=held)
    if units > free:
        raise Conflict(
            _("Only %(free)d left: you asked for %(units)d.") % {"free": free, "units": units},
            code="out_of_stock",
        )
    if units == free:
        listing = lifecycle.reserve(listing, actor=None, reason=reason, source=ORDER)
    return listing


def give_back(listing, units: int, *, held: int, reason: str) -> Listing:
    """`units` of an unpaid checkout come back; `held` counts the units other checkouts still hold.

    A listing reserved because no unit was left is active again. One the seller reserved by hand
    while units were free stays reserved: that was not the stock's doing."""
    had_no_free_unit = listing.quantity - held - units <= 0
    if listing.state == S.RESERVED and had_no_free_unit and listing.quantity - held > 0:
        listing = lifecycle.release(listing, actor=None, reason=reason, source=ORDER)
    return listing


def sell(listing, units: int, *, held: int, reason: str) -> Listing:
    """`units` of a checkout are paid for; `held` counts the units other checkouts still hold.

    A listing suspended meanwhile keeps its state (moderation decides what happens to it); the
    units are still counted as sold."""
    remaining = listing.quantity - units
    if remaining <= 0:
        if listing.state in (S.ACTIVE, S.RESERVED):
            listing = lifecycle.mark_sold(listing, actor=None, reason=reason, source=ORDER)
        return listing
    listing.quantity = remaining
    listing.save(update_fields=["quantity", "updated_at"])
    listing_changed.send(sender=Listing, listing=listing, fields={"quantity"}, deleted=False)
    if listing.state == S.ACTIVE and remaining - held <= 0:
        listing = lifecycle.reserve(listing, actor=None, reason=reason, source=ORDER)
    return listing
