"""How a listing changes hands, and what that means for its price.

    sale      sold for its price (more than 0); the only deal that may take payment
    giveaway  given away for nothing (免费送): the price is 0
    swap      swapped for something the seller wants (`swap_wanted`); the price, 0 or more, is only
              what the seller values it at and is never charged

Giveaways and swaps never go through payment: whatever takes payment for a listing (checkout)
asks `takes_payment(listing)` first. Search filters by deal.
"""
from django.utils.translation import gettext as _

from listings.models import MAX_PRICE, Deal
from marketplace.errors import DomainError


def check(deal, price, swap_wanted="") -> None:
    """Refuse (400, on the field at fault) a price or a wish that does not fit the deal."""
    if deal not in Deal.values:
        raise DomainError(_("Unknown deal “%(deal)s”.") % {"deal": deal}, code="invalid_deal", field="deal")
    if price is None or price < 0:
        raise DomainError(_("The price cannot be negative."), code="invalid_price", field="price")
    if price > MAX_PRICE:
        raise DomainError(_("The price may be at most ¥%(max)s.") % {"max": MAX_PRICE}, code="invalid_price",
                          field="price")
    if deal == Deal.SALE and price == 0:
        raise DomainError(_("The price must be more than 0; to give the item away, choose the deal “giveaway”."),
                          code="invalid_price", field="price")
    if deal == Deal.GIVEAWAY and price != 0:
        raise DomainError(_("A giveaway is free: its price is 0."), code="giveaway_not_free", field="price")
    if deal != Deal.SWAP and (swap_wanted or "").strip():
        raise DomainError(_("Only a listing offered for swap says what its seller wants in exchange."),
                          code="swap_wanted_not_allowed", field="swap_wanted")


def takes_payment(listing) -> bool:
    """Whether a buyer may pay for this listing: sales only, never giveaways or swaps."""
    return listing.deal == Deal.SALE
