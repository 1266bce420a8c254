"""Demo orders, made through the services and Stripe events processed by the webhook pipeline:

* completed: a resident's soymilk maker, paid and handed over in person (offline), reviewed;
* an open grade claim: a resident's vacuum cleaner handed over in person, the buyer claims with a photo;
* paid and held: a refurbished air conditioner from the merchant, paid through Stripe, held until receipt;
* completed and paid out: another air conditioner, received, the merchant's share transferred;
* refunded: a washing machine paid through Stripe and refunded by the merchant;
* disputed: another washing machine, handed over, then a card dispute froze it.

The merchant onboards to Stripe Connect (account, account link, `account.updated`). Stripe's side:
with STRIPE_SECRET_KEY set (e.g. against stripe-mock), the configured Stripe answers; without it,
recorded Stripe-shaped answers do (orders.gateways.recorded). Either way every payment, refund
and dispute reaches the orders as an event signed with the webhook secret (a demo secret when
none is set) and processed by orders.webhooks: never by setting a state by hand.
Idempotent: an order is looked up by buyer and listing before it is made.
"""
import io
import random
from contextlib import contextmanager

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import override_settings
from PIL import Image, ImageDraw

from listings.models import Listing, ListingState
from orders import claims, connect, reviews, services, webhooks
from orders.gateways import recorded
from orders.gateways import stripe as stripe_gateway
from orders.models import ConnectAccount, Order, OrderState
from orders.money import to_fen

DEMO_WEBHOOK_SECRET = "whsec_demo_marketplace"
DEMO_STRIPE_KEY = "sk_test_demo_recorded"


@contextmanager
def _stripe():
    """The configured Stripe, or recorded answers when no key is set; yields (secret, how)."""
    configured = stripe_gateway.is_configured()
    secret = settings.STRIPE_WEBHOOK_SECRET or DEMO_WEBHOOK_SECRET
    previous = stripe_gateway.HTTP_CLIENT
    if not configured:
        stripe_gateway.HTTP_CLIENT = recorded.RecordedStripe().answer_stripe_objects()
    try:
        with override_settings(STRIPE_SECRET_KEY=settings.STRIPE_SECRET_KEY or DEMO_STRIPE_KEY,
                               STRIPE_WEBHOOK_SECRET=secret):
            yield secret, "the configured Stripe" if configured else "recorded Stripe answers (no key set)"
    finally:
        stripe_gateway.HTTP_CLIENT = previous
        stripe_gateway._client.cache_clear()


def _deliver(secret, event):
    """An event signed like Stripe signs it, through the webhook pipeline (stored, processed once)."""
    body, signature = recorded.signed(event, secret)
    stored, _created = webhooks.receive(body, signature)
    webhooks.process(stored.pk)


def _photo(seed: str) -> SimpleUploadedFile:
    rng = random.Random(seed)
    image = Image.new("RGB", (480, 360), (210, 210, 205))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x, y = rng.randrange(0, 440), rng.randrange(0, 320)
        draw.rectangle([x, y, x + rng.randrange(20, 160), y + rng.randrange(20, 120)],
                       fill=tuple(rng.randrange(60, 200) for _ in range(3)))
    draw.line([(60, 80), (400, 260)], fill=(40, 40, 40), width=5)  # the scratch the buyer shows
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("claim.jpg", buffer.getvalue(), content_type="image/jpeg")


def _listing(title):
    return Listing.objects.filter(title=title).first()


def _existing(buyer, listing):
    return Order.objects.filter(buyer=buyer, listing=listing).order_by("pk").first()


def _checkout(buyer, listing, method):
    if listing is None or listing.state != ListingState.ACTIVE:
        return None
    return services.checkout(buyer=buyer, listing=listing, quantity=1, payment_method=method)


def _pay(secret, order):
    services.start_payment(order, actor=order.buyer)
    order.refresh_from_db()
    _deliver(secret, recorded.event("payment_intent.succeeded", recorded.payment_intent(
        id=order.payment_reference, amount=to_fen(order.total), status="succeeded",
        latest_charge=recorded.new_id("ch"), metadata={"order_id": str(order.pk)})))
    order.refresh_from_db()
    return order


def _hand_over(order, seller):
    return services.hand_over(order, actor=seller, code=order.handover_code)


def _offline_orders(world) -> list[str]:
    lina, wangwei, xiaoming, zhang, _alex = world["residents"]
    made = []
    soymilk = _listing("九阳豆浆机 九成新")
    order = _existing(zhang, soymilk) or _checkout(zhang, soymilk, "offline")
    if order is not None and order.state == OrderState.PENDING_PAYMENT:
        order = _hand_over(order, xiaoming)
        order = services.confirm_receipt(order, actor=zhang)
        reviews.review(order, actor=zhang, rating=5, text="豆浆机很干净，卖家准时，推荐！")
        made.append("completed (offline)")
    vacuum = _listing("戴森 V10 吸尘器 自用")
    order = _existing(wangwei, vacuum) or _checkout(wangwei, vacuum, "offline")
    if order is not None and order.state == OrderState.PENDING_PAYMENT:
        order = _hand_over(order, lina)
        claims.open_claim(order, actor=wangwei, photos=[_photo("vacuum")],
                          description="电池续航只有十分钟左右，和描述的约 30 分钟不符；机身侧面有一道划痕。")
        made.append("open claim (offline)")
    return made


def _onboard(secret, merchant, owner):
    if not ConnectAccount.objects.filter(organization=merchant).exists():
        connect.start_onboarding(merchant, actor=owner)
    account = ConnectAccount.objects.get(organization=merchant)
    if not account.transfers_active:
        _deliver(secret, recorded.event("account.updated", recorded.account(
            id=account.account_id, transfers="active", payouts_enabled=True, details_submitted=True)))


def _stripe_orders(world, secret) -> list[str]:
    merchant, owner = world["orgs"]["merchant"], world["org_staff"]["merchant"]
    lina, _wangwei, xiaoming, zhang, alex = world["residents"]
    made = []
    _onboard(secret, merchant, owner)
    air_conditioner = _listing("美的 1.5 匹变频空调 翻新机 包安装")
    washer = _listing("海尔 10 公斤滚筒洗衣机 翻新")

    held = _existing(lina, air_conditioner) or _checkout(lina, air_conditioner, "stripe")
    if held is not None and held.state == OrderState.PENDING_PAYMENT:
        _pay(secret, held)
        made.append("paid and held")

    released = _existing(xiaoming, air_conditioner) or _checkout(xiaoming, air_conditioner, "stripe")
    if released is not None and released.state == OrderState.PENDING_PAYMENT:
        released = _hand_over(_pay(secret, released), owner)
        services.confirm_receipt(released, actor=xiaoming)
        services.release_payout(released.pk)
        made.append("completed and paid out")

    refunded = _existing(zhang, washer) or _checkout(zhang, washer, "stripe")
    if refunded is not None and refunded.state == OrderState.PENDING_PAYMENT:
        refunded = _pay(secret, refunded)
        refund = services.request_refund(refunded, actor=owner, reason="仓库发现内筒轴承异响，无法按描述交付，全额退款。")
        refund = services.submit_refund(refund.pk)
        _deliver(secret, recorded.event("charge.refunded", recorded.charge(
            id=refunded.charge_reference, payment_intent=refunded.payment_reference,
            amount=to_fen(refunded.total), amount_refunded=to_fen(refund.amount))))
        made.append("refunded")

    disputed = _existing(alex, washer) or _checkout(alex, washer, "stripe")
    if disputed is not None and disputed.state == OrderState.PENDING_PAYMENT:
        disputed = _hand_over(_pay(secret, disputed), owner)
        _deliver(secret, recorded.event("charge.dispute.created", recorded.dispute(
            payment_intent=disputed.payment_reference, charge=disputed.charge_reference,
            amount=to_fen(disputed.total), reason="product_not_received")))
        made.append("disputed")
    return made


def load(world):
    made = _offline_orders(world)
    with _stripe() as (secret, how):
        made += _stripe_orders(world, secret)
    counts = {state: Order.objects.filter(state=state).count() for state in OrderState.values}
    summary = ", ".join(f"{count} {state}" for state, count in counts.items() if count)
    frozen = Order.objects.filter(frozen=True).count()
    return (f"{Order.objects.count()} orders ({summary}; {frozen} frozen by a dispute); "
            f"made now: {', '.join(made) or 'nothing'}; Stripe side: {how}")

