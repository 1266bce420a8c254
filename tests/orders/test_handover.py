"""The hand-over code: shown to the buyer only, works once and only for its order, five wrong codes
void it, and of two sellers' devices scanning at once exactly one records the hand-over."""
import io

import pytest
from PIL import Image

from orders import services
from orders.models import Order, OrderTransition
from tests.factories import UserFactory
from tests.helpers import assert_error_shape, run_together
from tests.orders.factories import on_sale, order_for

pytestmark = pytest.mark.django_db


def scan(client, order, code):
    return client.post(f"/api/v1/orders/{order.pk}/hand-over", {"code": code})


def test_the_qr_code_names_the_order_and_its_code(client_for, buyer):
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR code (pip install zxing-cpp)")
    order = order_for(on_sale(), buyer)

    response = client_for(buyer).get(f"/api/v1/orders/{order.pk}/hand-over-qr.png")

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    assert result.text == f"handover:{order.pk}:{order.handover_code}"


def test_only_the_buyer_sees_the_code(client_for, buyer):
    listing = on_sale()
    order = order_for(listing, buyer)

    assert client_for(listing.seller).get(f"/api/v1/orders/{order.pk}/").json()["handover"] is None
    assert_error_shape(client_for(listing.seller).get(f"/api/v1/orders/{order.pk}/hand-over-qr.png"), 403)
    assert_error_shape(client_for(UserFactory()).get(f"/api/v1/orders/{order.pk}/hand-over-qr.png"), 404)


def test_the_scanned_qr_text_or_the_six_digits_both_work(client_for, buyer):
    listing = on_sale()
    order = order_for(listing, buyer)

    response = scan(client_for(listing.seller), order, f"handover:{order.pk}:{order.handover_code}")

    assert response.status_code == 200 and response.json()["state"] == "handed_over"


def test_a_code_works_once(client_for, buyer):
    listing = on_sale()
    order = order_for(listing, buyer)
    seller = client_for(listing.seller)
    assert scan(seller, order, order.handover_code).status_code == 200

    assert_error_shape(scan(seller, order, order.handover_code), 409, "already_handed_over")
    assert OrderTransition.objects.filter(order=order, to_state="handed_over").count() == 1


def test_a_code_works_only_for_its_order(client_for, buyer):
    listing, other_listing = on_sale(), on_sale()
    mine = order_for(listing, buyer)
    other = order_for(other_listing)
    other_listing.seller = listing.seller
    Order.objects.filter(pk=other.pk).update(seller=listing.seller)
    seller = client_for(listing.seller)

    assert_error_shape(scan(seller, other, f"handover:{mine.pk}:{mine.handover_code}"), 400, "wrong_order")
    if mine.handover_code != other.handover_code:
        assert_error_shape(scan(seller, other, mine.handover_code), 400, "wrong_code")
    assert Order.objects.get(pk=other.pk).state == "pending_payment"


def test_five_wrong_codes_void_it_until_the_buyer_shows_a_new_one(client_for, buyer):
    listing = on_sale()
    order = order_for(listing, buyer)
    seller = client_for(listing.seller)
    wrong = f"{(int(order.handover_code) + 1) % 10**6:06d}"
    for _attempt in range(5):
        assert_error_shape(scan(seller, order, wrong), 400, "wrong_code")

    assert_error_shape(scan(seller, order, order.handover_code), 409, "code_locked")

    renewed = client_for(buyer).post(f"/api/v1/orders/{order.pk}/hand-over-code/renew")
    assert renewed.status_code == 200 and renewed.json()["attempts_left"] == 5
    assert renewed.json()["code"] == Order.objects.get(pk=order.pk).handover_code
    assert scan(seller, order, renewed.json()["code"]).status_code == 200


@pytest.mark.parametrize("who", ["buyer", "stranger"])
def test_only_the_seller_records_the_hand_over(client_for, buyer, who):
    order = order_for(on_sale(), buyer)
    user = buyer if who == "buyer" else UserFactory()
    status = 403 if who == "buyer" else 404
    assert_error_shape(scan(client_for(user), order, order.handover_code), status)


def test_a_stripe_order_is_handed_over_only_once_paid(client_for, buyer, recorded_stripe):
    from tests.orders.factories import connected, shop

    organization = shop()
    connected(organization)
    listing = on_sale(organization=organization)
    order = order_for(listing, buyer)

    assert_error_shape(scan(client_for(listing.seller), order, order.handover_code), 409, "not_paid")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_devices_scanning_at_once_record_one_hand_over():
    listing = on_sale()
    order = order_for(listing)
    outcomes = []

    def scan_once():
        try:
            services.hand_over(Order.objects.get(pk=order.pk), actor=listing.seller, code=order.handover_code)
            outcomes.append("handed over")
        except Exception as error:
            outcomes.append(getattr(error, "code", repr(error)))

    assert run_together(*[scan_once] * 4) == []
    assert sorted(outcomes) == ["already_handed_over"] * 3 + ["handed over"]
    assert OrderTransition.objects.filter(order=order, to_state="handed_over").count() == 1
    assert OrderTransition.objects.filter(order=order, to_state="paid").count() == 1
