"""The grade guarantee: the buyer claims with photos within N days of the hand-over, the seller
answers, an inspection agency member or staff decides (upheld: refund, full with the item going
back, or partial; rejected: closed); every step is recorded; each role may do only its part."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.errors import Conflict
from orders import claims, services
from orders.models import Claim, ClaimState, Order, OrderState
from tests.factories import UserFactory, member_of
from tests.helpers import assert_error_shape
from tests.listings.factories import image_bytes
from tests.orders.factories import handed_over, inspection_agency, on_sale, order_for

pytestmark = pytest.mark.django_db


def photo(name="item.jpg", seed=1):
    return SimpleUploadedFile(name, image_bytes(size=(96, 80), seed=seed), content_type="image/jpeg")


@pytest.fixture
def order(buyer):
    return handed_over(buyer)


@pytest.fixture
def inspector():
    return member_of(inspection_agency())


@pytest.fixture
def claim(order, buyer):
    return claims.open_claim(order, actor=buyer, description="外壳有明显磕碰，与 A 级描述不符", photos=[photo()])


def open_claim(client, order, **data):
    payload = {"description": "屏幕有划痕，与 A 级描述不符", "photos": [photo()], **data}
    return client.post(f"/api/v1/orders/{order.pk}/claim", payload, format="multipart")


def test_the_buyer_opens_a_claim_with_photos(client_for, buyer, order):
    response = open_claim(client_for(buyer), order)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "open" and len(body["photos"]) == 1 and body["photos"][0]["thumbnail_url"]
    assert body["evidence"]["grade_code"] == "A"
    assert body["evidence"]["grade_report_url"].endswith(f"/api/v1/listings/{order.listing_id}/grade-report")


def test_a_claim_needs_a_photo(client_for, buyer, order):
    response = client_for(buyer).post(f"/api/v1/orders/{order.pk}/claim", {"description": "不符"}, format="multipart")
    assert_error_shape(response, 400, "validation_error")


def test_claims_are_possible_only_within_the_claim_period(client_for, buyer, order, settings):
    settings.ORDERS_CLAIM_DAYS = 7
    Order.objects.filter(pk=order.pk).update(handed_over_at=timezone.now() - timedelta(days=7, minutes=1))
    assert_error_shape(open_claim(client_for(buyer), order), 409, "claim_too_late")


def test_one_claim_per_order(client_for, buyer, claim, order):
    assert_error_shape(open_claim(client_for(buyer), order), 409, "claim_exists")


@pytest.mark.parametrize("who, status", [("seller", 403), ("stranger", 404), ("staff", 403), ("inspector", 404)])
def test_only_the_buyer_opens_a_claim(client_for, order, staff, inspector, who, status):
    user = {"seller": order.seller, "stranger": UserFactory(), "staff": staff, "inspector": inspector}[who]
    assert_error_shape(open_claim(client_for(user), order), status)


def test_an_upheld_claim_refunds_everything_and_the_item_goes_back(client_for, buyer, order, inspector):
    seller = client_for(order.seller)
    claim_id = open_claim(client_for(buyer), order).json()["id"]
    answered = seller.post(f"/api/v1/claims/{claim_id}/answer", {"text": "交货时完好，有照片为证"})
    assert answered.json()["state"] == "answered"

    decided = client_for(inspector).post(f"/api/v1/claims/{claim_id}/decide",
                                         {"decision": "upheld", "reason": "复检为 C 级，与 A 级不符"})

    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert (body["state"], body["refund_amount"], body["return_required"]) == ("upheld", "500.00", True)
    assert body["decided_for"] == inspector.memberships.get().organization_id
    order.refresh_from_db()
    assert order.state == OrderState.REFUND_REQUESTED  # offline: the seller pays back in person
    confirmed = client_for(order.buyer).post(f"/api/v1/orders/{order.pk}/confirm-refund")
    assert confirmed.json()["state"] == "refunded" and confirmed.json()["amount_refunded"] == "500.00"
    steps = client_for(order.buyer).get(f"/api/v1/claims/{claim_id}/transitions").json()
    assert [(s["from_state"], s["to_state"], s["actor_role"]) for s in steps] == [
        ("", "open", "buyer"), ("open", "answered", "seller"), ("answered", "upheld", "inspector")]
    record = client_for(None).get(f"/api/v1/sellers/{order.seller_id}/record").json()
    assert record["upheld_claims"] == 1


def test_an_upheld_claim_may_refund_a_part(claim, staff, order):
    claims.answer(claim, actor=order.seller, text="划痕很轻")

    decided = claims.decide(claim, actor=staff, upheld=True, reason="轻微不符，退部分款", refund_amount=Decimal("120.00"))

    assert (decided.refund_amount, decided.return_required) == (Decimal("120.00"), False)
    assert order.refunds.get().amount == Decimal("120.00")
    assert decided.transitions.last().actor_role == "staff"


def test_a_rejected_claim_closes_and_the_order_completes(claim, inspector, order, buyer):
    claims.answer(claim, actor=order.seller, text="符合描述")
    claims.decide(claim, actor=inspector, upheld=False, reason="复检仍为 A 级")

    assert Claim.objects.get(pk=claim.pk).state == ClaimState.REJECTED
    assert services.confirm_receipt(order, actor=buyer).state == OrderState.COMPLETED


def test_an_open_claim_holds_the_order(claim, order, buyer):
    with pytest.raises(Conflict) as refused:
        services.confirm_receipt(order, actor=buyer)
    assert refused.value.code == "claim_open"
    Order.objects.filter(pk=order.pk).update(handed_over_at=timezone.now() - timedelta(days=30))
    assert services.complete_due_orders() == 0


def test_without_an_answer_a_decision_waits_for_the_answer_period(claim, inspector, settings):
    settings.ORDERS_CLAIM_ANSWER_DAYS = 3
    with pytest.raises(Conflict) as refused:
        claims.decide(claim, actor=inspector, upheld=True, reason="复检不符")
    assert refused.value.code == "waiting_for_answer"

    Claim.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(days=3, minutes=1))
    assert claims.decide(Claim.objects.get(pk=claim.pk), actor=inspector, upheld=False, reason="无证据").state == "rejected"


def test_the_buyer_may_withdraw(client_for, buyer, claim):
    response = client_for(buyer).post(f"/api/v1/claims/{claim.pk}/withdraw", {"reason": "卖家已协商"})
    assert response.json()["state"] == "withdrawn"


def _user(who, order, staff, inspector):
    return {"buyer": order.buyer, "seller": order.seller, "inspector": inspector, "staff": staff,
            "stranger": UserFactory()}[who]


@pytest.mark.parametrize("who, status", [("buyer", 200), ("seller", 200), ("inspector", 200), ("staff", 200),
                                         ("stranger", 404)])
def test_who_sees_a_claim(client_for, claim, order, staff, inspector, who, status):
    response = client_for(_user(who, order, staff, inspector)).get(f"/api/v1/claims/{claim.pk}/")
    assert response.status_code == status


@pytest.mark.parametrize("who, status", [("buyer", 403), ("seller", 200), ("inspector", 403), ("staff", 403),
                                         ("stranger", 404)])
def test_who_answers(client_for, claim, order, staff, inspector, who, status):
    response = client_for(_user(who, order, staff, inspector)).post(f"/api/v1/claims/{claim.pk}/answer",
                                                                    {"text": "我的说明"})
    assert response.status_code == status


@pytest.mark.parametrize("who, status", [("buyer", 403), ("seller", 403), ("inspector", 200), ("staff", 200),
                                         ("stranger", 404)])
def test_who_decides(client_for, claim, order, staff, inspector, who, status):
    claims.answer(claim, actor=order.seller, text="完好")
    response = client_for(_user(who, order, staff, inspector)).post(
        f"/api/v1/claims/{claim.pk}/decide", {"decision": "rejected", "reason": "复检符合"})
    assert response.status_code == status


def test_an_inspector_of_the_selling_organization_does_not_decide(client_for, buyer):
    from tests.orders.factories import shop

    organization = shop()
    listing = on_sale(organization=organization)
    placed = order_for(listing, buyer)
    order = services.hand_over(placed, actor=listing.seller, code=placed.handover_code)
    claim = claims.open_claim(order, actor=buyer, description="不符", photos=[photo()])
    claims.answer(claim, actor=listing.seller, text="完好")
    insider = member_of(inspection_agency())
    member_of_shop = member_of(organization)
    from accounts.models import Membership

    Membership.objects.create(user=member_of_shop, organization=insider.memberships.get().organization)

    response = client_for(member_of_shop).post(f"/api/v1/claims/{claim.pk}/decide",
                                               {"decision": "upheld", "reason": "不符"})
    assert_error_shape(response, 403)


def test_deciding_for_an_agency_one_is_not_a_member_of_is_refused(client_for, claim, order, inspector):
    claims.answer(claim, actor=order.seller, text="完好")
    other_agency = inspection_agency()
    response = client_for(inspector).post(f"/api/v1/claims/{claim.pk}/decide",
                                          {"decision": "upheld", "reason": "不符", "agency": other_agency.pk})
    assert_error_shape(response, 403)


def test_the_claim_list_shows_each_role_its_claims(client_for, claim, order, inspector, django_assert_max_num_queries):
    stranger = UserFactory()
    assert client_for(stranger).get("/api/v1/claims/").json()["count"] == 0
    with django_assert_max_num_queries(8):
        assert client_for(inspector).get("/api/v1/claims/").json()["count"] == 1
    assert client_for(order.seller).get("/api/v1/claims/?state=open").json()["count"] == 1


def test_the_buyer_adds_photos_while_the_claim_is_open(client_for, buyer, claim, order):
    response = client_for(buyer).post(f"/api/v1/claims/{claim.pk}/photos", {"photos": [photo(seed=2), photo(seed=3)]},
                                      format="multipart")
    assert response.status_code == 200 and len(response.json()["photos"]) == 3

    not_an_image = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    refused = client_for(buyer).post(f"/api/v1/claims/{claim.pk}/photos", {"photos": [not_an_image]},
                                     format="multipart")
    assert_error_shape(refused, 400, "invalid_image")
    assert_error_shape(client_for(order.seller).post(f"/api/v1/claims/{claim.pk}/photos", {"photos": [photo()]},
                                                     format="multipart"), 403)
