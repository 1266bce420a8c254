"""Stripe webhook throughput: 1,000 signed events, a tenth of them replays, sent concurrently to
`POST /api/v1/payments/stripe/webhook` on gunicorn (shipped configuration) over PostgreSQL.

    .venv/bin/python bench/orders/webhooks.py [--events 1000] [--replayed 0.1] [--senders 8] [--broker URL]

900 orders wait for their payment (Stripe method, PaymentIntent ids set at seeding); each gets one
`payment_intent.succeeded` event signed with the real scheme, and 100 of those events are sent a
second time (same id and body), shuffled among the others. Afterwards every effect must exist
exactly once: 900 stored events, 900 orders paid, 900 `paid` transitions, 900 listings sold, 900
`order_paid` notifications, 100 answers saying "duplicate". With --broker the events are processed
by a Celery worker the bench starts, and the time until the last one is processed is reported.
Uses the database in BENCH_POSTGRES_URL (default mp_orders_bench), dropped and made again at the
start. Writes bench/results/orders-webhooks[-celery].{md,json}. A benchmark, never a test.
"""
import argparse
import json
import queue
import random
import threading
import time

import common

common.reset_database()
common.setup_django()

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Organization, OrganizationKind, User, VerificationStatus  # noqa: E402
from listings.models import Category, Listing, ListingState  # noqa: E402
from notifications.models import Notification  # noqa: E402
from orders.gateways import recorded  # noqa: E402
from orders.models import (  # noqa: E402
    ConnectAccount,
    Order,
    OrderState,
    OrderTransition,
    PaymentMethod,
    WebhookEvent,
    WebhookStatus,
)

SECRET = "whsec_bench_orders"
PATH = "/api/v1/payments/stripe/webhook"


def seed(orders: int) -> list[Order]:
    """`orders` Stripe orders waiting for payment, one per single-unit listing of a connected merchant."""
    merchant = Organization.objects.create(
        kind=OrganizationKind.MERCHANT, name="压测商店", legal_name="压测商店有限公司", credit_code="91440101MA5CXK1Y0X",
        address="广州市", contact_name="店长", contact_phone="020-1", verification_status=VerificationStatus.VERIFIED,
    )
    ConnectAccount.objects.create(organization=merchant, account_id="acct_bench", transfers_active=True)
    seller = User.objects.create_user(email="seller@bench.local", password="bench-pass-2024")
    buyer = User.objects.create_user(email="buyer@bench.local", password="bench-pass-2024")
    category = Category.objects.get(slug="furniture")
    now = timezone.now()
    with transaction.atomic():
        listings = Listing.objects.bulk_create([
            Listing(seller=seller, organization=merchant, category=category, title=f"书桌 {n}", price=Decimal("88.80"),
                    city="广州市", handover_options=["pickup"], state=ListingState.RESERVED, published_at=now,
                    expires_at=now + timedelta(days=60), grade_code="A")
            for n in range(orders)
        ])
        made = Order.objects.bulk_create([
            Order(buyer=buyer, listing=listing, seller=seller, organization=merchant, title=listing.title, quantity=1,
                  unit_price=listing.price, total=listing.price, platform_fee=Decimal("4.44"),
                  payment_method=PaymentMethod.STRIPE, reserved_until=now + timedelta(hours=1),
                  handover_code="123456", payment_reference=f"pi_bench_{n}")
            for n, listing in enumerate(listings)
        ])
    return made


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--replayed", type=float, default=0.1)
    parser.add_argument("--senders", type=int, default=8, help="concurrent deliveries (Stripe sends in parallel)")
    parser.add_argument("--broker", default="")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    replays = round(args.events * args.replayed)
    unique = args.events - replays
    orders = seed(unique)
    deliveries = []
    for order in orders:
        event = recorded.event("payment_intent.succeeded", recorded.payment_intent(
            id=order.payment_reference, amount=8880, status="succeeded", latest_charge=f"ch_bench_{order.pk}",
            metadata={"order_id": str(order.pk)}))
        deliveries.append(json.dumps(event))
    deliveries += rng.sample(deliveries, replays)
    rng.shuffle(deliveries)
    machine = common.machine()

    port = common.free_port()
    env = {"STRIPE_WEBHOOK_SECRET": SECRET, **({"CELERY_BROKER_URL": args.broker} if args.broker else {})}
    worker = common.start_worker(args.broker) if args.broker else None
    server = common.start_server(port, **env)
    work: queue.Queue = queue.Queue()
    for body in deliveries:
        work.put(body)
    results, lock = [], threading.Lock()

    def sender():
        connection = common.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                break
            # Signed when sent, as Stripe does: the signature is five minutes good at most.
            _body, signature = recorded.signed(body, SECRET)
            status, ms, content = common.timed(connection, "POST", PATH, body.encode(),
                                               {"Content-Type": "application/json", "Stripe-Signature": signature})
            with lock:
                results.append((status, ms, json.loads(content)))
        connection.close()

    try:
        started = time.perf_counter()
        threads = [threading.Thread(target=sender) for _ in range(args.senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        answered = time.perf_counter() - started
        while WebhookEvent.objects.exclude(status__in=[WebhookStatus.PROCESSED, WebhookStatus.IGNORED]).exists():
            if time.perf_counter() - started > 600:
                break
            time.sleep(0.2)
        processed = time.perf_counter() - started
    finally:
        common.stop_server(server)
        if worker is not None:
            common.stop_server(worker)

    counts = {
        "answers_200": sum(status == 200 for status, _ms, _body in results),
        "answers_duplicate": sum(bool(body.get("duplicate")) for status, _ms, body in results if status == 200),
        "events_stored": WebhookEvent.objects.count(),
        "events_processed": WebhookEvent.objects.filter(status=WebhookStatus.PROCESSED).count(),
        "events_failed": WebhookEvent.objects.filter(status=WebhookStatus.FAILED).count(),
        "orders_paid": Order.objects.filter(state=OrderState.PAID).count(),
        "paid_transitions": OrderTransition.objects.filter(to_state=OrderState.PAID).count(),
        "listings_sold": Listing.objects.filter(state=ListingState.SOLD).count(),
        "order_paid_notifications": Notification.objects.filter(kind="order_paid").count(),
    }
    expected = {"answers_200": args.events, "answers_duplicate": replays, "events_stored": unique,
                "events_processed": unique, "events_failed": 0, "orders_paid": unique, "paid_transitions": unique,
                "listings_sold": unique, "order_paid_notifications": unique}
    exactly_once = counts == expected
    latencies = [ms for _status, ms, _body in results]
    report = {
        "machine": machine, "tasks": f"celery ({args.broker})" if args.broker else "eager", "events": args.events,
        "replayed": replays, "senders": args.senders, "counts": counts, "expected": expected,
        "every_effect_exactly_once": exactly_once, "latency_ms": common.summary(latencies),
        "answered_seconds": round(answered, 2), "all_processed_seconds": round(processed, 2),
        "events_per_second_answered": round(args.events / answered, 1),
        "events_per_second_processed": round(args.events / processed, 1),
    }
    lat = report["latency_ms"]
    rows = "\n".join(f"| {name} | {counts[name]} | {expected[name]} |" for name in expected)
    markdown = f"""# Stripe webhook throughput (orders)

{args.events} signed `payment_intent.succeeded` deliveries ({replays} of them replays of another delivery), {args.senders}
concurrent senders, PostgreSQL {machine['postgresql']} behind gunicorn ({machine['gunicorn']['workers']} workers x
{machine['gunicorn']['threads']} threads), DEBUG off, tasks {report['tasks']}. Machine: {machine['cores']} cores,
{machine['cpu']}; Python loop {machine['probes']['python_loop_ms']} ms, SELECT 1 p50
{machine['probes']['select_1_ms']['p50']} ms (load average at start
{', '.join(f'{x:.2f}' for x in machine['load_average_at_start'])}).

| | value |
| --- | --- |
| deliveries answered per second | {report['events_per_second_answered']} |
| deliveries processed per second (until the last event was processed) | {report['events_per_second_processed']} |
| answer latency p50 / p95 / p99 ms | {lat['p50']} / {lat['p95']} / {lat['p99']} |

Every effect exactly once: **{'yes' if exactly_once else 'NO'}**.

| effect | counted | expected |
| --- | --- | --- |
{rows}
"""
    common.write_report("orders-webhooks" + ("-celery" if args.broker else ""), report, markdown)


if __name__ == "__main__":
    main()
