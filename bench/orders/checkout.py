"""Checkout under contention: 50 buyers at once on 10 single-unit listings, on PostgreSQL behind
gunicorn (the shipped configuration), beside a bare Django view (/healthz: one SELECT 1) hit the
same way on the same server.

    .venv/bin/python bench/orders/checkout.py [--rounds 20] [--buyers 50] [--listings 10]

Every round makes 10 fresh listings and sends the 50 checkouts at the same instant (a barrier;
each buyer on a kept-alive connection of its own, five buyers per listing). Every round must end
with exactly one order per listing and every other answer a 409 in the error shape
(`listing_reserved` or `out_of_stock`); a round that does not is reported as a failure. Uses the
database in BENCH_POSTGRES_URL (default mp_orders_bench), dropped and made again at the start.
Writes bench/results/orders-checkout.{md,json}. A benchmark, never a test.
"""
import argparse
import json
import threading
import time

import common

common.reset_database()
common.setup_django()

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import issue_token  # noqa: E402
from listings.models import Category, Listing, ListingState  # noqa: E402
from orders.models import Order  # noqa: E402


def make_people(buyers: int, sellers: int):
    people = [User.objects.create_user(email=f"buyer{n}@bench.local", password="bench-pass-2024") for n in range(buyers)]
    tokens = [issue_token(person)[1] for person in people]
    vendors = [User.objects.create_user(email=f"seller{n}@bench.local", password="bench-pass-2024")
               for n in range(sellers)]
    return tokens, vendors


def make_listings(sellers, round_number: int) -> list[int]:
    category = Category.objects.get(slug="furniture")
    now = timezone.now()
    return [
        Listing.objects.create(
            seller=seller, category=category, title=f"实木书桌 第{round_number}轮 {n}", price=Decimal("350.00"),
            city="广州市", handover_options=["pickup"], state=ListingState.ACTIVE, published_at=now,
            expires_at=now + timedelta(days=60), grade_code="A",
        ).pk
        for n, seller in enumerate(sellers)
    ]


def burst(port: int, requests: list[tuple[str, str, bytes | None, dict]]) -> tuple[list, float]:
    """Send each request from a thread of its own, all released at once; (status, ms, body) each, wall ms."""
    results = [None] * len(requests)
    connections = [common.HTTPConnection("127.0.0.1", port, timeout=60) for _ in requests]
    for connection in connections:  # open the keep-alive connections before the clock starts
        connection.connect()
    barrier = threading.Barrier(len(requests) + 1)

    def run(index):
        method, path, body, headers = requests[index]
        barrier.wait()
        results[index] = common.timed(connections[index], method, path, body, headers)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = (time.perf_counter() - started) * 1000
    for connection in connections:
        connection.close()
    return results, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--listings", type=int, default=10)
    parser.add_argument("--broker", default="", help="e.g. redis://127.0.0.1:6379/7: tasks leave the request path "
                        "for a Celery worker the bench starts (default: eager, the embedded mode)")
    args = parser.parse_args()

    tokens, sellers = make_people(args.buyers, args.listings)
    machine = common.machine()
    port = common.free_port()
    worker = common.start_worker(args.broker) if args.broker else None
    server = common.start_server(port, **({"CELERY_BROKER_URL": args.broker} if args.broker else {}))
    checkout_ms, bare_ms, checkout_walls, bare_walls, failures = [], [], [], [], []
    losers = {}
    try:
        for round_number in range(args.rounds + 1):  # round 0 warms the workers up and is not counted
            listing_ids = make_listings(sellers, round_number)
            requests = [
                ("POST", "/api/v1/orders/", json.dumps({"listing": listing_ids[n % len(listing_ids)]}).encode(),
                 {"Authorization": f"Token {tokens[n]}", "Content-Type": "application/json",
                  "Accept-Language": "en"})
                for n in range(args.buyers)
            ]
            results, wall = burst(port, requests)
            created = [r for r in results if r[0] == 201]
            refused = [r for r in results if r[0] == 409]
            types = [json.loads(r[2])["type"] for r in refused]
            orders = Order.objects.filter(listing_id__in=listing_ids).count()
            sold_out = Listing.objects.filter(pk__in=listing_ids, state=ListingState.RESERVED).count()
            ok = (len(created) == len(listing_ids) == orders == sold_out
                  and len(refused) == args.buyers - len(listing_ids)
                  and set(types) <= {"listing_reserved", "out_of_stock"})
            if not ok:
                failures.append({"round": round_number, "statuses": sorted(r[0] for r in results), "orders": orders,
                                 "reserved_listings": sold_out, "types": sorted(set(types))})
            bare, bare_wall = burst(port, [("GET", "/healthz", None, {})] * args.buyers)
            if round_number == 0:
                continue
            for kind in types:
                losers[kind] = losers.get(kind, 0) + 1
            checkout_ms += [r[1] for r in results]
            checkout_walls.append(wall)
            bare_ms += [r[1] for r in bare]
            bare_walls.append(bare_wall)
    finally:
        common.stop_server(server)
        if worker is not None:
            common.stop_server(worker)

    rounds = args.rounds
    total_wall_s = sum(checkout_walls) / 1000
    report = {
        "machine": machine, "tasks": "celery (" + args.broker + ")" if args.broker else "eager", "rounds": rounds, "buyers": args.buyers, "listings": args.listings,
        "correct_rounds": rounds + 1 - len(failures), "failures": failures, "losers_by_type": losers,
        "checkout": {"latency_ms": common.summary(checkout_ms), "requests_per_second": round(
            rounds * args.buyers / total_wall_s, 1), "orders_per_second": round(rounds * args.listings / total_wall_s, 1),
            "burst_wall_ms": common.summary(checkout_walls)},
        "bare_view": {"latency_ms": common.summary(bare_ms), "requests_per_second": round(
            rounds * args.buyers / (sum(bare_walls) / 1000), 1), "burst_wall_ms": common.summary(bare_walls)},
    }
    c, b = report["checkout"], report["bare_view"]
    markdown = f"""# Checkout under contention (orders)

{args.buyers} buyers at once on {args.listings} single-unit listings, {rounds} rounds (plus one warm-up round), PostgreSQL
{machine['postgresql']} behind gunicorn ({machine['gunicorn']['workers']} workers x {machine['gunicorn']['threads']} threads,
gthread, shipped gunicorn.conf.py), DEBUG off, tasks {report['tasks']}. Machine: {machine['cores']} cores, {machine['cpu']};
{probes_text(machine)}.

| | p50 ms | p95 ms | p99 ms | requests/s | orders/s |
| --- | --- | --- | --- | --- | --- |
| checkout `POST /api/v1/orders/` | {c['latency_ms']['p50']} | {c['latency_ms']['p95']} | {c['latency_ms']['p99']} | {c['requests_per_second']} | {c['orders_per_second']} |
| bare view `GET /healthz` | {b['latency_ms']['p50']} | {b['latency_ms']['p95']} | {b['latency_ms']['p99']} | {b['requests_per_second']} | - |

Correctness: {report['correct_rounds']} of {rounds + 1} rounds ended with exactly one order per listing and every
other buyer answered 409 in the error shape ({', '.join(f'{k}: {v}' for k, v in sorted(losers.items())) or 'none'}).
{'Failures: ' + json.dumps(failures, ensure_ascii=False) if failures else 'No round failed.'}
A burst of {args.buyers} checkouts took {c['burst_wall_ms']['p50']} ms (p50) from release to the last answer.
"""
    common.write_report("orders-checkout" + ("-celery" if args.broker else ""), report, markdown)


def probes_text(machine) -> str:
    found = machine["probes"]
    return (f"Python loop {found['python_loop_ms']} ms, SELECT 1 p50 {found['select_1_ms']['p50']} ms "
            f"(load average at start {', '.join(f'{x:.2f}' for x in machine['load_average_at_start'])})")


if __name__ == "__main__":
    main()
