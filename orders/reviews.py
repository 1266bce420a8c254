"""Reviews: after a completed order the buyer rates the seller once, 1 to 5 stars with a text."""
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketplace.errors import Conflict, DomainError, NotAllowed
from marketplace.transitions import lock
from notifications.services import notify
from orders.models import Order, OrderState, Review
from orders.permissions import is_buyer


def review(order, *, actor, rating: int, text: str = "") -> Review:
    if not 1 <= int(rating) <= 5:
        raise DomainError(_("Rate from 1 to 5 stars."), code="invalid_rating", field="rating")
    try:
        with transaction.atomic():
            order = lock(Order.objects, order.pk)
            if not is_buyer(actor, order):
                raise NotAllowed(_("Only the buyer reviews the seller of an order."))
            if order.state != OrderState.COMPLETED:
                raise Conflict(_("You can review the seller once the order is completed."), code="not_completed")
            if Review.objects.filter(order=order).exists():
                raise Conflict(_("You already reviewed this order."), code="already_reviewed")
            created = Review.objects.create(order=order, buyer=actor, seller_id=order.seller_id,
                                            organization_id=order.organization_id, rating=int(rating),
                                            text=(text or "").strip())
            notify(order.seller, "review_received", {"order": order.pk, "title": order.title, "rating": rating})
            return created
    except IntegrityError:
        raise Conflict(_("You already reviewed this order."), code="already_reviewed") from None
