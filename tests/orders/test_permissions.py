"""Who may do what to an order: anonymous, a stranger, the buyer, the seller's side (organization admin
and member), staff. Lists carry query budgets."""
import pytest

from orders import services
from tests.factories import UserFactory
from tests.helpers import assert_error_shape
from tests.orders.factories import on_sale, order_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop, shop_admin, buyer):
    return order_for(on_sale(organization=shop, seller=shop_admin, quantity=5), buyer)


@pytest.fixture
def people(buyer, shop_admin, shop_member, staff):
    return {"stranger": UserFactory(), "buyer": buyer, "org_admin": shop_admin, "org_member": shop_member,
            "staff": staff}


def call(client_for, api, people, who, method, path, data=None):
    client = api if who == "anonymous" else client_for(people[who])
    return getattr(client, method)(path, data or {})


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("stranger", 404), ("buyer", 200), ("org_admin", 200),
                                         ("org_member", 200), ("staff", 200)])
def test_who_sees_an_order(client_for, api, people, order, who, status):
    response = call(client_for, api, people, who, "get", f"/api/v1/orders/{order.pk}/")
    assert response.status_code == status
    if status == 200:
        transitions = call(client_for, api, people, who, "get", f"/api/v1/orders/{order.pk}/transitions")
        assert transitions.status_code == 200


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("stranger", 404), ("buyer", 200), ("org_admin", 200),
                                         ("org_member", 403), ("staff", 200)])
def test_who_cancels(client_for, api, people, order, who, status):
    response = call(client_for, api, people, who, "post", f"/api/v1/orders/{order.pk}/cancel")
    assert response.status_code == status


@pytest.mark.parametrize("who, status", [("stranger", 404), ("buyer", 403), ("org_admin", 200), ("org_member", 200),
                                         ("staff", 403)])
def test_who_hands_over(client_for, api, people, order, who, status):
    response = call(client_for, api, people, who, "post", f"/api/v1/orders/{order.pk}/hand-over",
                    {"code": order.handover_code})
    assert response.status_code == status


@pytest.mark.parametrize("who, status", [("stranger", 404), ("buyer", 403), ("org_admin", 201), ("org_member", 403),
                                         ("staff", 201)])
def test_who_refunds(client_for, api, people, order, shop_admin, who, status):
    services.hand_over(order, actor=shop_admin, code=order.handover_code)
    response = call(client_for, api, people, who, "post", f"/api/v1/orders/{order.pk}/refund", {"reason": "质量问题"})
    assert response.status_code == status


@pytest.mark.parametrize("who, status", [("stranger", 404), ("buyer", 200), ("org_admin", 403), ("staff", 403)])
def test_who_confirms_receipt_and_reviews(client_for, api, people, order, shop_admin, who, status):
    services.hand_over(order, actor=shop_admin, code=order.handover_code)
    response = call(client_for, api, people, who, "post", f"/api/v1/orders/{order.pk}/confirm-receipt")
    assert response.status_code == status
    if status == 200:
        assert call(client_for, api, people, "org_admin", "post", f"/api/v1/orders/{order.pk}/review",
                    {"rating": 5}).status_code == 403
        assert call(client_for, api, people, who, "post", f"/api/v1/orders/{order.pk}/review",
                    {"rating": 6}).status_code == 400
        assert call(client_for, api, people, who, "post", f"/api/v1/orders/{order.pk}/review",
                    {"rating": 4, "text": "不错"}).status_code == 201
        again = call(client_for, api, people, who, "post", f"/api/v1/orders/{order.pk}/review", {"rating": 4})
        assert_error_shape(again, 409, "already_reviewed")


def test_a_malformed_or_deleted_order_is_404(client_for, buyer):
    assert_error_shape(client_for(buyer).get("/api/v1/orders/abc/"), 404)
    assert_error_shape(client_for(buyer).post("/api/v1/orders/999999/cancel"), 404)


def test_lists_show_each_their_orders_within_a_query_budget(client_for, shop, shop_admin, shop_member, buyer,
                                                           staff, django_assert_max_num_queries):
    listing = on_sale(organization=shop, seller=shop_admin, quantity=20)
    for _ in range(6):
        order_for(listing, buyer)
    order_for(on_sale(), UserFactory())  # someone else's

    for user, expected in ((buyer, 6), (shop_member, 6), (staff, 7), (UserFactory(), 0)):
        client = client_for(user)
        with django_assert_max_num_queries(8):
            body = client.get("/api/v1/orders/").json()
        assert body["count"] == expected
    assert client_for(buyer).get("/api/v1/orders/?role=selling").json()["count"] == 0
    assert client_for(shop_member).get("/api/v1/orders/?role=selling&state=pending_payment").json()["count"] == 6


def test_reviews_are_public(client_for, api, order, shop_admin, buyer):
    services.hand_over(order, actor=shop_admin, code=order.handover_code)
    services.confirm_receipt(order, actor=buyer)
    client_for(buyer).post(f"/api/v1/orders/{order.pk}/review", {"rating": 3, "text": "一般"})

    body = api.get(f"/api/v1/reviews/?organization={order.organization_id}").json()

    assert body["count"] == 1 and body["results"][0]["rating"] == 3 and body["results"][0]["buyer"] == "买家"


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("stranger", 403), ("org_member", 403),
                                         ("org_admin", 200), ("staff", 200)])
def test_who_sees_payouts(client_for, api, people, shop, who, status):
    response = call(client_for, api, people, who, "get", f"/api/v1/organizations/{shop.pk}/payouts")
    assert response.status_code == status
