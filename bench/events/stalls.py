"""100 concurrent stall bookings on 20 stalls, over HTTP, on PostgreSQL.

    .venv/bin/python bench/events/stalls.py [--requests 100] [--stalls 20] [--seed 7]

A published first-come flea market with 20 stalls, served by gunicorn (4 threaded workers) on a
fresh benchmark database, warmed up by 32 bookings at another market. 100 residents, each with an API token and a connection of their own,
are released together and POST /api/v1/events/{id}/bookings: half ask for any stall (and join
the waitlist when none is left), half name a stall at random (409 `stall_taken` when it is
gone). Then 10 holders cancel at once, which must offer their stalls to the first 10 on the
waitlist. Checked: no stall held twice, every answer a booking, a waitlist place or a clear 409,
no promotion lost. Reported: p50/p95/max latency. A benchmark, never a test.
"""
import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.events.common import Server, machine, now_iso, race, setup_django, write_report

WARM_UP = 32
CLEAR = {(201, "confirmed"), (201, "waitlisted"), (409, "stall_taken"), (409, "no_stall_free")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--stalls", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    setup_django()

    from datetime import timedelta
    from decimal import Decimal

    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import Membership, Organization, OrganizationKind, Role, User, VerificationStatus
    from accounts.services import issue_token
    from bench.search.probes import percentile
    from events import services
    from events.models import HOLDING_STATUSES, BookingStatus, StallBooking

    community = Organization.objects.create(
        kind=OrganizationKind.COMMUNITY, name="基准社区", legal_name="基准社区服务中心", credit_code="12440106MB2C1234X",
        address="广州市", contact_name="周", contact_phone="020-1", verification_status=VerificationStatus.VERIFIED)
    organizer = User.objects.create_user(email="organizer@bench.local", password=None)
    Membership.objects.create(organization=community, user=organizer, role=Role.ADMIN)
    starts = timezone.now() + timedelta(days=7)
    event = services.create_event(actor=organizer, organization=community, kind="flea_market", title_zh="基准跳蚤市场",
                                  venue_address="广州市天河区", latitude=Decimal("23.13"), longitude=Decimal("113.33"),
                                  starts_at=starts, ends_at=starts + timedelta(hours=4))
    services.set_stall_plan(event, actor=organizer, stalls=[{"number": n} for n in range(1, args.stalls + 1)])
    event = services.publish_event(event, actor=organizer)
    warm_up = services.create_event(actor=organizer, organization=community, kind="flea_market", title_zh="热身",
                                    venue_address="广州市天河区", latitude=Decimal("23.13"), longitude=Decimal("113.33"),
                                    starts_at=starts, ends_at=starts + timedelta(hours=4))
    services.set_stall_plan(warm_up, actor=organizer, stalls=[{"number": n} for n in range(1, 9)])
    warm_up = services.publish_event(warm_up, actor=organizer)
    residents = User.objects.bulk_create([User(email=f"resident{n}@bench.local", password="!") for n in range(args.requests)])
    tokens = [issue_token(resident)[1] for resident in residents]
    warmers = User.objects.bulk_create([User(email=f"warmer{n}@bench.local", password="!") for n in range(WARM_UP)])
    warm_tokens = [issue_token(warmer)[1] for warmer in warmers]
    rng = random.Random(args.seed)
    plans = [({} if index % 2 == 0 else {"stall": rng.randint(1, args.stalls), "join_waitlist": False})
             for index in range(args.requests)]
    probes = machine()
    path = f"/api/v1/events/{event.pk}/bookings"

    with Server() as server:
        # Every worker's first requests load translations, URL patterns and the like: not part of the figure.
        race(WARM_UP, lambda index: server.call("POST", f"/api/v1/events/{warm_up.pk}/bookings", warm_tokens[index]))
        wall = time.perf_counter()
        answers = race(args.requests, lambda index: server.call("POST", path, tokens[index], plans[index]))
        wall = time.perf_counter() - wall
        holding = list(StallBooking.objects.filter(event=event, status=BookingStatus.CONFIRMED)
                       .order_by("id").values_list("pk", "holder_id")[:10])
        token_of = {resident.pk: token for resident, token in zip(residents, tokens, strict=True)}
        cancels = race(len(holding), lambda index: server.call(
            "POST", f"{path}/{holding[index][0]}/cancel", token_of[holding[index][1]]))

    def kind(status, body):
        return body.get("status") if status == 201 else body.get("type")

    outcomes = Counter((status, kind(status, body)) for status, body, _ in answers)
    unclear = {f"{status} {name}": count for (status, name), count in outcomes.items() if (status, name) not in CLEAR}

    def doubles():
        return (StallBooking.objects.filter(event=event, status__in=HOLDING_STATUSES).values("stall_id")
                .annotate(holders=Count("pk")).filter(holders__gt=1).count())

    confirmed_after_race = outcomes[(201, "confirmed")]
    waitlisted = outcomes[(201, "waitlisted")]
    latencies = [elapsed for _, _, elapsed in answers]
    offered = StallBooking.objects.filter(event=event, status=BookingStatus.OFFERED).count()
    expected_offers = min(len(holding), waitlisted)
    cancelled_ok = sum(1 for status, _, _ in cancels if status == 200)
    result = {
        "requests": args.requests, "stalls": args.stalls, "seed": args.seed, "machine": probes,
        "server": "gunicorn, 4 workers x 4 threads", "outcomes": {f"{s} {k}": c for (s, k), c in sorted(outcomes.items())},
        "confirmed": confirmed_after_race, "double_bookings": doubles(), "unclear_answers": unclear,
        "latency_ms": {"p50": round(percentile(latencies, 0.5), 1), "p95": round(percentile(latencies, 0.95), 1),
                       "max": round(max(latencies), 1)},
        "wall_s": round(wall, 2), "cancellations": cancelled_ok, "promoted": offered,
        "expected_promotions": expected_offers,
    }
    ok = (result["double_bookings"] == 0 and not unclear and confirmed_after_race == args.stalls
          and offered == expected_offers and cancelled_ok == len(holding))
    result["verdict"] = "met" if ok else "MISSED"
    run_at = now_iso()
    lines = [
        f"# Events: {args.requests} concurrent stall bookings on {args.stalls} stalls (PostgreSQL, over HTTP)", "",
        f"Run {run_at}; {probes['cpus']} CPUs, load average {probes['load_average']} (other work on the machine), "
        f"Python loop {probes['probes']['python_loop_ms']} ms, SELECT 1 p95 {probes['probes']['select_1_ms']['p95']} ms; "
        f"{result['server']}.", "",
        "| answer | requests |", "| --- | ---: |",
        *[f"| {key} | {count} |" for key, count in result["outcomes"].items()], "",
        f"- stalls held twice: **{result['double_bookings']}**; answers other than a booking, a waitlist place or a "
        f"clear 409: **{sum(unclear.values())}**; {confirmed_after_race} of {args.stalls} stalls confirmed",
        f"- latency: p50 {result['latency_ms']['p50']} ms, **p95 {result['latency_ms']['p95']} ms**, "
        f"max {result['latency_ms']['max']} ms; all {args.requests} answered within {result['wall_s']} s",
        f"- {cancelled_ok} holders cancelling at once: {offered} of {expected_offers} people on the waitlist offered "
        f"a stall (no promotion lost); stalls held twice afterwards: {result['double_bookings']}",
        f"- verdict: **{result['verdict']}**",
    ]
    written = write_report("stalls", {"run_at": run_at, **result}, lines)
    print("\n".join(lines))
    print(f"\nwritten to {written}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
