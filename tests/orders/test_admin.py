"""The admin reads orders, payments and claims (changes go through the API's services); staff may
process a failed Stripe event again."""
import pytest

from orders import webhooks
from orders.gateways import recorded
from orders.models import WebhookEvent
from tests.orders.factories import on_sale, order_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["order", "webhookevent", "connectaccount", "claim", "review", "recordreview"])
def test_every_orders_model_is_listed_read_only(admin_client, model):
    assert admin_client.get(f"/admin/orders/{model}/").status_code == 200
    assert admin_client.get(f"/admin/orders/{model}/add/").status_code == 403


def test_an_order_is_read_with_its_audit_and_without_its_hand_over_code(admin_client):
    order = order_for(on_sale())
    response = admin_client.get(f"/admin/orders/order/{order.pk}/change/")
    assert response.status_code == 200
    assert f"order {order.pk} (pending_payment)".encode() in response.content
    assert order.handover_code.encode() not in response.content


def test_a_failed_event_is_processed_again_by_the_action(admin_client, stripe_events, monkeypatch):
    event = recorded.event("customer.created", {"id": "cus_1", "object": "customer"})
    body, signature = recorded.signed(event, stripe_events)
    stored, _created = webhooks.receive(body, signature)
    monkeypatch.setitem(webhooks.HANDLERS, "customer.created", lambda payload: 1 / 0)
    assert webhooks.process(stored.pk) == "failed"
    monkeypatch.delitem(webhooks.HANDLERS, "customer.created")

    admin_client.post("/admin/orders/webhookevent/", {"action": "retry_now", "_selected_action": [stored.pk]})

    assert WebhookEvent.objects.get(pk=stored.pk).status == "ignored"
