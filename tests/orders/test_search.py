"""A sale reaches search with the sale's own commit: once the payment is recorded, the listing is not
found any more (the lifecycle's listing_changed, indexed after that commit)."""
import pytest

from listings.models import ListingState
from orders import services
from orders.gateways import recorded
from orders.money import to_fen
from search import service as search_service
from search.backends.base import SearchQuery
from tests.orders.factories import connected, on_sale, order_for, shop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def database_search(settings):
    settings.SEARCH_BACKEND = "database"
    search_service.reset_backends()
    yield
    search_service.reset_backends()


def found(listing) -> bool:
    return listing.pk in {hit.id for hit in search_service.search(SearchQuery(q="书桌")).hits}


def test_a_listing_paid_through_stripe_leaves_search_with_the_payment(recorded_stripe, deliver, buyer):
    organization = shop()
    connected(organization)
    listing = on_sale(organization=organization, title="橡木书桌 带抽屉")
    order = order_for(listing, buyer)  # its indexing callbacks are not run: the index still has it
    services.start_payment(order, actor=buyer)
    order.refresh_from_db()
    search_service.index(listing)
    assert found(listing)

    deliver(recorded.event("payment_intent.succeeded", recorded.payment_intent(
        id=order.payment_reference, amount=to_fen(order.total), status="succeeded")))

    listing.refresh_from_db()
    assert listing.state == ListingState.SOLD
    assert not found(listing)


def test_a_partial_sale_keeps_the_rest_findable(after_commit, buyer):
    listing = on_sale(organization=shop(), quantity=3, title="学生书桌 可升降")
    search_service.rebuild()
    with after_commit():
        order = order_for(listing, buyer)
        services.hand_over(order, actor=listing.seller, code=order.handover_code)

    assert found(listing)
    hit = search_service.search(SearchQuery(q="书桌")).hits[0]
    assert hit.id == listing.pk
