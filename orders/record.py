"""A seller's record: completed sales, upheld grade claims, cancellations and ratings, shown on their
profile and listings; and the rule that too many upheld claims hold new listings for staff review.

A seller is a person selling alone (their orders without an organization) or an organization.
New listings wait for staff when at least ORDERS_UPHELD_CLAIM_MIN claims were upheld and they make
at least ORDERS_UPHELD_CLAIM_SHARE of the seller's handed-over sales; staff clearing the record
lets new listings through until one more claim is upheld.
"""
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils.translation import gettext as _

from marketplace.errors import Conflict, DomainError, NotAllowed
from orders.models import ActorRole, ClaimState, Order, OrderState, OrderTransition, RecordReview
from orders.permissions import is_staff


@dataclass(frozen=True)
class SellerRecord:
    completed_sales: int
    handed_over_sales: int
    upheld_claims: int
    cancellations: int
    reviews: int
    rating: Decimal | None
    upheld_share: Decimal | None
    new_listings_held: bool
    cleared_at: datetime | None

    def as_dict(self) -> dict:
        return asdict(self)


_AGGREGATES = {
    "completed_sales": Count("pk", filter=Q(state=OrderState.COMPLETED)),
    "handed_over_sales": Count("pk", filter=Q(handed_over_at__isnull=False)),
    "upheld_claims": Count("pk", filter=Q(claim__state=ClaimState.UPHELD)),
    "reviews": Count("review"),
    "rating": Avg("review__rating"),
}


def _party(*, seller=None, organization=None) -> dict:
    if (seller is None) == (organization is None):
        raise ValueError("a record belongs to a seller or an organization")
    if organization is not None:
        return {"organization_id": getattr(organization, "pk", organization)}
    return {"organization_id": None, "seller_id": getattr(seller, "pk", seller)}


def _orders(party: dict):
    if party["organization_id"] is not None:
        return Order.objects.filter(organization_id=party["organization_id"])
    return Order.objects.filter(organization__isnull=True, seller_id=party["seller_id"])


def _build(numbers: dict, cancellations: int, last_review: RecordReview | None) -> SellerRecord:
    handed, upheld = numbers["handed_over_sales"], numbers["upheld_claims"]
    share = (Decimal(upheld) / Decimal(handed)).quantize(Decimal("0.001"), ROUND_HALF_UP) if handed else None
    over = upheld >= settings.ORDERS_UPHELD_CLAIM_MIN and share is not None and share >= settings.ORDERS_UPHELD_CLAIM_SHARE
    cleared = last_review is not None and last_review.upheld_claims >= upheld
    rating = numbers["rating"]
    return SellerRecord(
        completed_sales=numbers["completed_sales"], handed_over_sales=handed, upheld_claims=upheld,
        cancellations=cancellations, reviews=numbers["reviews"],
        rating=Decimal(str(rating)).quantize(Decimal("0.1"), ROUND_HALF_UP) if rating is not None else None,
        upheld_share=share, new_listings_held=over and not cleared,
        cleared_at=last_review.created_at if last_review is not None else None,
    )


def _last_review(party: dict) -> RecordReview | None:
    lookup = ({"organization_id": party["organization_id"]} if party["organization_id"] is not None
              else {"seller_id": party["seller_id"]})
    return RecordReview.objects.filter(**lookup).order_by("-created_at", "-id").first()


def seller_record(*, seller=None, organization=None) -> SellerRecord:
    party = _party(seller=seller, organization=organization)
    orders = _orders(party)
    numbers = orders.aggregate(**_AGGREGATES)
    cancellations = OrderTransition.objects.filter(
        order__in=orders, to_state=OrderState.CANCELLED, actor_role=ActorRole.SELLER
    ).count()
    return _build(numbers, cancellations, _last_review(party))


def record_for_listing(listing) -> SellerRecord:
    """The record of whoever sells `listing`: its organization, or its seller selling alone."""
    if listing.organization_id is not None:
        return seller_record(organization=listing.organization_id)
    return seller_record(seller=listing.seller_id)


def records_for_listings(listings) -> dict[int, SellerRecord]:
    """{listing id: record} for a page of listings, in a fixed number of queries."""
    people = {listing.seller_id for listing in listings if listing.organization_id is None}
    organizations = {listing.organization_id for listing in listings if listing.organization_id is not None}
    by_party: dict[tuple, SellerRecord] = {}
    for key, ids, base in (("seller_id", people, Order.objects.filter(organization__isnull=True)),
                           ("organization_id", organizations, Order.objects.all())):
        if not ids:
            continue
        rows = {row[key]: row for row in base.filter(**{f"{key}__in": ids}).values(key).annotate(**_AGGREGATES)}
        cancelled = dict(
            OrderTransition.objects.filter(**{f"order__{key}__in": ids}, to_state=OrderState.CANCELLED,
                                           actor_role=ActorRole.SELLER)
            .filter(**({"order__organization__isnull": True} if key == "seller_id" else {}))
            .values_list(f"order__{key}").annotate(count=Count("pk"))
        )
        reviews = {}
        for review in RecordReview.objects.filter(**{f"{key}__in": ids}).order_by("created_at", "id"):
            reviews[getattr(review, key)] = review
        empty = dict.fromkeys(_AGGREGATES, 0) | {"rating": None}
        for party_id in ids:
            by_party[(key, party_id)] = _build(rows.get(party_id, empty), cancelled.get(party_id, 0),
                                               reviews.get(party_id))
    return {
        listing.pk: by_party[("organization_id", listing.organization_id) if listing.organization_id is not None
                             else ("seller_id", listing.seller_id)]
        for listing in listings
    }


def clear_record(*, actor, reason: str, seller=None, organization=None) -> RecordReview:
    """Staff reviewed a seller whose new listings were held: they may publish again."""
    if not is_staff(actor):
        raise NotAllowed(_("Only platform staff review a seller's record."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say what the review found."), code="reason_required", field="reason")
    with transaction.atomic():
        record = seller_record(seller=seller, organization=organization)
        if not record.new_listings_held:
            raise Conflict(_("This seller's new listings are not held for review."), code="not_held")
        party = _party(seller=seller, organization=organization)
        return RecordReview.objects.create(
            seller_id=party.get("seller_id"), organization_id=party["organization_id"],
            upheld_claims=record.upheld_claims, reason=reason, decided_by=actor,
        )
