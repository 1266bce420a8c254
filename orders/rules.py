"""The rule orders adds to publishing (listings.eligibility, rule `seller_record`): a seller with too many upheld grade claims
publishes new listings only after staff reviewed their record (orders.record)."""
from django.utils.translation import gettext as _

from listings.models import ListingState
from orders.record import record_for_listing


def seller_record_problems(listing) -> list[tuple[str, str]]:
    """New listings only: what is already on sale stays (it was published before the claims)."""
    if listing.state != ListingState.DRAFT:
        return []
    record = record_for_listing(listing)
    if not record.new_listings_held:
        return []
    return [(
        "seller_record_held",
        _("New listings wait for a review by platform staff: %(upheld)d of %(sales)d sales had a grade claim "
          "upheld.") % {"upheld": record.upheld_claims, "sales": record.handed_over_sales},
    )]
