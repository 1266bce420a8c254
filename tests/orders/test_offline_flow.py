"""The offline flow end to end, through the API: check out, meet, scan the code (paid in person and
handed over), confirm receipt, review; the listing is sold and leaves search."""
import io

import pytest

from listings.models import ListingState
from notifications.models import Notification
from orders.models import Order, OrderTransition
from search import service as search_service
from search.backends.base import SearchQuery
from tests.orders.factories import on_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_search(settings):
    settings.SEARCH_BACKEND = "database"
    search_service.reset_backends()
    yield search_service.get_backend()
    search_service.reset_backends()


def found(listing) -> bool:
    return listing.pk in {hit.id for hit in search_service.search(SearchQuery(q="书桌")).hits}


def test_a_resident_sells_in_person(client_for, buyer, after_commit, database_search):
    listing = on_sale(price="120.00", title="实木书桌 九成新")
    search_service.rebuild()
    assert found(listing)
    seller_client, buyer_client = client_for(listing.seller), client_for(buyer)

    with after_commit():
        order = buyer_client.post("/api/v1/orders/", {"listing": listing.pk}).json()
    assert order["payment_method"] == "offline"
    assert not found(listing)  # reserved: off sale while the buyer comes over
    code = order["handover"]["code"]

    seller_view = seller_client.get(f"/api/v1/orders/{order['id']}/").json()
    assert seller_view["handover"] is None and "hand_over" in seller_view["actions"]
    with after_commit():
        handed = seller_client.post(f"/api/v1/orders/{order['id']}/hand-over", {"code": code})
    assert handed.status_code == 200, handed.content
    assert handed.json()["state"] == "handed_over" and handed.json()["paid_at"]
    listing.refresh_from_db()
    assert listing.state == ListingState.SOLD
    assert not found(listing)

    with after_commit():
        completed = buyer_client.post(f"/api/v1/orders/{order['id']}/confirm-receipt")
    assert completed.json()["state"] == "completed"
    review = buyer_client.post(f"/api/v1/orders/{order['id']}/review", {"rating": 5, "text": "很守时"})
    assert review.status_code == 201

    transitions = buyer_client.get(f"/api/v1/orders/{order['id']}/transitions").json()
    assert [(t["from_state"], t["to_state"], t["actor_role"]) for t in transitions] == [
        ("", "pending_payment", "buyer"),
        ("pending_payment", "paid", "seller"),
        ("paid", "handed_over", "seller"),
        ("handed_over", "completed", "buyer"),
    ]
    assert "offline" in transitions[1]["reason"]
    record = client_for(None).get(f"/api/v1/sellers/{listing.seller_id}/record").json()
    assert (record["completed_sales"], record["reviews"], record["rating"]) == (1, 1, "5.0")
    assert Order.objects.get().platform_fee == 0  # nothing passed through the platform
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"order_placed", "order_handed_over", "order_completed", "review_received"} <= kinds


def test_an_unpaid_reservation_expires_and_the_item_returns(client_for, buyer, settings, after_commit):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    listing = on_sale()
    order = client_for(buyer).post("/api/v1/orders/", {"listing": listing.pk}).json()
    Order.objects.filter(pk=order["id"]).update(reserved_until=timezone.now() - timedelta(seconds=1))

    out = io.StringIO()
    call_command("expire_reservations", stdout=out)
    assert out.getvalue() == "1 order(s) expired.\n"

    listing.refresh_from_db()
    assert listing.state == ListingState.ACTIVE
    assert Order.objects.get().state == "expired"
    assert OrderTransition.objects.filter(to_state="expired", actor=None, actor_role="platform").count() == 1
    assert Notification.objects.filter(recipient=buyer, kind="order_expired").exists()
