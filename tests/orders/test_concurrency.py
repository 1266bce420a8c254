"""Where two requests meet on one row, on PostgreSQL: the last unit, stock, the same Stripe event
delivered twice at once, an expiry racing a payment, two refunds, two decisions on one claim."""
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from listings.models import Listing, ListingState
from orders import claims, services
from orders.gateways import recorded
from orders.models import Claim, Order, OrderState, OrderTransition, Refund, WebhookEvent
from orders.money import to_fen
from tests.factories import StaffFactory, UserFactory, member_of
from tests.helpers import run_together
from tests.orders.conftest import WEBHOOK_PATH, WEBHOOK_SECRET
from tests.orders.factories import connected, inspection_agency, on_sale, order_for, shop

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _client(user):
    client = APIClient()
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def _buy_all_at_once(listing, buyers, quantity=1):
    responses = []

    def buy(user):
        return lambda: responses.append(_client(user).post("/api/v1/orders/", {"listing": listing.pk,
                                                                               "quantity": quantity}))

    assert run_together(*[buy(user) for user in buyers]) == []
    return responses


def test_many_buyers_of_the_last_unit_make_one_order_and_clear_409s():
    listing = on_sale()
    buyers = [UserFactory() for _ in range(8)]

    responses = _buy_all_at_once(listing, buyers)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 7
    for response in responses:
        if response.status_code == 409:
            assert response.json()["type"] in ("listing_reserved", "out_of_stock")
    assert Order.objects.count() == 1
    assert Listing.objects.get(pk=listing.pk).state == ListingState.RESERVED


def test_concurrent_buyers_never_take_more_than_the_stock():
    listing = on_sale(organization=shop(), quantity=3)

    responses = _buy_all_at_once(listing, [UserFactory() for _ in range(8)])

    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 5
    assert services.held_units(listing) == 3
    assert Listing.objects.get(pk=listing.pk).state == ListingState.RESERVED


@pytest.fixture
def stripe_order(settings, monkeypatch):
    from orders.gateways import stripe as stripe_gateway

    settings.STRIPE_SECRET_KEY = "sk_test_orders"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", recorded.RecordedStripe().answer_stripe_objects())
    organization = shop()
    connected(organization)
    listing = on_sale(organization=organization, price="88.80")
    order = order_for(listing)
    services.start_payment(order, actor=order.buyer)
    order.refresh_from_db()
    return order


def _succeeded(order):
    return recorded.event("payment_intent.succeeded", recorded.payment_intent(
        id=order.payment_reference, amount=to_fen(order.total), status="succeeded", latest_charge="ch_concurrent",
        metadata={"order_id": str(order.pk)}))


def test_the_same_event_delivered_at_once_is_processed_once(stripe_order):
    body, signature = recorded.signed(_succeeded(stripe_order), WEBHOOK_SECRET)
    responses = []

    def deliver():
        responses.append(APIClient().post(WEBHOOK_PATH, data=body, content_type="application/json",
                                          HTTP_STRIPE_SIGNATURE=signature))

    assert run_together(*[deliver] * 6) == []

    assert [r.status_code for r in responses] == [200] * 6
    assert sum(not r.json()["duplicate"] for r in responses) == 1
    assert WebhookEvent.objects.get().status == "processed"
    assert OrderTransition.objects.filter(order=stripe_order, to_state="paid").count() == 1
    assert Listing.objects.get(pk=stripe_order.listing_id).state == ListingState.SOLD


def test_an_expiry_racing_the_payment_ends_in_exactly_one_outcome(stripe_order):
    Order.objects.filter(pk=stripe_order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    body, signature = recorded.signed(_succeeded(stripe_order), WEBHOOK_SECRET)

    def pay():
        APIClient().post(WEBHOOK_PATH, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)

    assert run_together(pay, services.expire_reservations) == []

    order = Order.objects.get(pk=stripe_order.pk)
    listing = Listing.objects.get(pk=order.listing_id)
    if order.state == OrderState.PAID:
        assert listing.state == ListingState.SOLD and not Refund.objects.exists()
    else:
        assert order.state == OrderState.EXPIRED
        assert listing.state == ListingState.ACTIVE
        assert Refund.objects.get().amount == order.total  # the late payment goes back in full


def test_two_refunds_at_once_make_one(stripe_order):
    order = services.record_payment(stripe_order, reference=stripe_order.payment_reference)
    seller_admin = member_of(order.organization)
    from accounts.models import Membership, Role

    Membership.objects.filter(user=seller_admin).update(role=Role.ADMIN)
    staff = StaffFactory()
    outcomes = []

    def refund(actor):
        def run():
            try:
                services.request_refund(Order.objects.get(pk=order.pk), actor=actor, reason="缺货")
                outcomes.append("refund")
            except Exception as error:
                outcomes.append(getattr(error, "code", repr(error)))
        return run

    assert run_together(refund(seller_admin), refund(staff)) == []
    assert sorted(outcomes) == ["invalid_transition", "refund"]
    assert Refund.objects.filter(order=order).count() == 1


def test_two_decisions_on_one_claim_make_one():
    listing = on_sale()
    order = order_for(listing)
    services.hand_over(order, actor=listing.seller, code=order.handover_code)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.listings.factories import image_bytes

    claim = claims.open_claim(order, actor=order.buyer, description="屏幕有划痕",
                              photos=[SimpleUploadedFile("a.jpg", image_bytes(size=(64, 64)), "image/jpeg")])
    claims.answer(claim, actor=listing.seller, text="发货时完好")
    agency = inspection_agency()
    inspectors = [member_of(agency), member_of(agency)]
    outcomes = []

    def decide(inspector, upheld):
        def run():
            try:
                claims.decide(Claim.objects.get(pk=claim.pk), actor=inspector, upheld=upheld, reason="依据鉴定报告")
                outcomes.append("decided")
            except Exception as error:
                outcomes.append(getattr(error, "code", repr(error)))
        return run

    assert run_together(decide(inspectors[0], True), decide(inspectors[1], False)) == []
    assert sorted(outcomes) == ["decided", "invalid_transition"]
    assert Claim.objects.get(pk=claim.pk).transitions.filter(to_state__in=["upheld", "rejected"]).count() == 1


def test_the_task_and_the_retry_processing_one_event_at_once_process_it_once(stripe_order):
    from orders import webhooks

    body, signature = recorded.signed(_succeeded(stripe_order), WEBHOOK_SECRET)
    event, _created = webhooks.receive(body, signature)  # outside a transaction: processed now
    WebhookEvent.objects.filter(pk=event.pk).update(status="received", attempts=0)
    Order.objects.filter(pk=stripe_order.pk).update(state=OrderState.PENDING_PAYMENT)
    OrderTransition.objects.filter(order=stripe_order, to_state="paid").delete()
    Listing.objects.filter(pk=stripe_order.listing_id).update(state=ListingState.RESERVED)

    assert run_together(*[lambda: webhooks.process(event.pk)] * 4) == []

    assert WebhookEvent.objects.get(pk=event.pk).attempts == 1
    assert OrderTransition.objects.filter(order=stripe_order, to_state="paid").count() == 1


def test_a_seller_lowering_the_quantity_while_buyers_check_out_never_leaves_fewer_units_than_are_held():
    listing = on_sale(organization=shop(), quantity=4)
    seller = _client(listing.seller)
    responses = {}

    def lower():
        responses["seller"] = seller.patch(f"/api/v1/listings/{listing.pk}/", {"quantity": 2})

    def buy(n):
        return lambda: responses.setdefault(n, _client(UserFactory()).post(
            "/api/v1/orders/", {"listing": listing.pk, "quantity": 1}))

    assert run_together(lower, *[buy(n) for n in range(4)]) == []
    listing.refresh_from_db()
    held = sum(Order.objects.filter(listing=listing, state=OrderState.PENDING_PAYMENT).values_list("quantity", flat=True))
    assert held <= listing.quantity
    assert responses["seller"].status_code in (200, 409)
    if responses["seller"].status_code == 409:
        assert responses["seller"].json()["type"] == "units_held"
    bought = [n for n in range(4) if responses[n].status_code == 201]
    assert all(responses[n].status_code == 409 for n in range(4) if n not in bought)
    assert len(bought) == held
