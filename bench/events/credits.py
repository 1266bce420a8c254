"""50 concurrent takes against one credit balance, over HTTP, on PostgreSQL.

    .venv/bin/python bench/events/credits.py [--takes 50] [--balance 20]

A school's sharing corner holds 50 books of one credit each; one student has 20 credits (from
deposits). Served by gunicorn on a fresh benchmark database, 50 requests from that student are
released together, each taking a different book (POST /api/v1/events/corners/{id}/books/{copy}/take),
while another thread keeps reading the balance. Checked: exactly 20 takes succeed, the other 30
are 409 `insufficient_credits`, the balance read during the race and at the end never goes below
zero, and the ledger's running balances equal the sums of its entries. Reported: p50/p95/max.
A benchmark, never a test.
"""
import argparse
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.events.common import Server, machine, now_iso, race, setup_django, write_report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--takes", type=int, default=50)
    parser.add_argument("--balance", type=int, default=20)
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from accounts.models import (
        CampusRole,
        Membership,
        Organization,
        OrganizationKind,
        Role,
        User,
        VerificationStatus,
    )
    from accounts.services import issue_token
    from bench.search.probes import percentile
    from events import books
    from events.models import CopyStatus, CreditEntry

    school = Organization.objects.create(
        kind=OrganizationKind.SCHOOL, name="基准中学", legal_name="基准中学", credit_code="12450100498512345",
        address="南宁市", contact_name="刘", contact_phone="0771-1", verification_status=VerificationStatus.VERIFIED)
    keeper = User.objects.create_user(email="teacher@bench.local", password=None)
    Membership.objects.create(organization=school, user=keeper, role=Role.ADMIN, campus_role=CampusRole.TEACHER)
    taker = User.objects.create_user(email="student@bench.local", password=None)
    Membership.objects.create(organization=school, user=taker, role=Role.MEMBER, campus_role=CampusRole.STUDENT)
    corner = books.create_corner(actor=keeper, organization=school, name_zh="旧书角", place_zh="图书馆")
    one_credit = next(grade for grade, value in books.settings.EVENTS_BOOK_CREDITS.items() if value == 1)
    for _ in range(args.balance):
        books.deposit_book(corner, actor=keeper, giver=taker, isbn="9787040396638", title="高等数学", grade=one_credit)
    shelf = [books.deposit_book(corner, actor=keeper, giver=keeper, isbn="9787536692930", title="三体", grade=one_credit)
             for _ in range(args.takes)]
    token = issue_token(taker)[1]
    probes = machine()

    lowest_seen, watching = [books.balance(school, taker)], threading.Event()

    def watch():
        while not watching.is_set():
            lowest_seen.append(books.balance(school, taker))
            time.sleep(0.005)
        connection.close()

    with Server() as server:
        race(8, lambda index: server.call("GET", f"/api/v1/events/credits/{school.pk}", token))  # warm the workers
        watcher = threading.Thread(target=watch)
        watcher.start()
        wall = time.perf_counter()
        answers = race(args.takes, lambda index: server.call(
            "POST", f"/api/v1/events/corners/{corner.pk}/books/{shelf[index].pk}/take", token))
        wall = time.perf_counter() - wall
        watching.set()
        watcher.join()

    outcomes = Counter((status, body.get("status") if status == 200 else body.get("type")) for status, body, _ in answers)
    entries = list(CreditEntry.objects.filter(account__member=taker).order_by("id").values_list("amount", "balance_after"))
    running, ledger_ok = 0, True
    for amount, balance_after in entries:
        running += amount
        ledger_ok = ledger_ok and balance_after == running and running >= 0
    final = books.balance(school, taker)
    taken = sum(1 for copy in shelf if type(copy).objects.get(pk=copy.pk).status == CopyStatus.TAKEN)
    latencies = [elapsed for _, _, elapsed in answers]
    expected_wins = min(args.balance, args.takes)
    result = {
        "takes": args.takes, "starting_balance": args.balance, "machine": probes,
        "server": "gunicorn, 4 workers x 4 threads", "outcomes": {f"{s} {k}": c for (s, k), c in sorted(outcomes.items())},
        "books_taken": taken, "final_balance": final, "lowest_balance_seen": min(lowest_seen),
        "balance_reads_during_race": len(lowest_seen), "ledger_consistent": ledger_ok,
        "latency_ms": {"p50": round(percentile(latencies, 0.5), 1), "p95": round(percentile(latencies, 0.95), 1),
                       "max": round(max(latencies), 1)},
        "wall_s": round(wall, 2),
    }
    ok = (outcomes[(200, "taken")] == expected_wins and outcomes[(409, "insufficient_credits")] == args.takes - expected_wins
          and final == args.balance - expected_wins and min(lowest_seen) >= 0 and ledger_ok and taken == expected_wins)
    result["verdict"] = "met" if ok else "MISSED"
    run_at = now_iso()
    lines = [
        f"# Events: {args.takes} concurrent takes against one credit balance of {args.balance} (PostgreSQL, over HTTP)", "",
        f"Run {run_at}; {probes['cpus']} CPUs, load average {probes['load_average']} (other work on the machine), "
        f"Python loop {probes['probes']['python_loop_ms']} ms, SELECT 1 p95 {probes['probes']['select_1_ms']['p95']} ms; "
        f"{result['server']}.", "",
        "| answer | requests |", "| --- | ---: |",
        *[f"| {key} | {count} |" for key, count in result["outcomes"].items()], "",
        f"- books taken {taken}, final balance **{final}**, lowest balance read during the race "
        f"**{min(lowest_seen)}** ({len(lowest_seen)} reads); ledger running balances equal the sums: {ledger_ok}",
        f"- latency: p50 {result['latency_ms']['p50']} ms, **p95 {result['latency_ms']['p95']} ms**, "
        f"max {result['latency_ms']['max']} ms; all {args.takes} answered within {result['wall_s']} s",
        f"- verdict: **{result['verdict']}**",
    ]
    written = write_report("credits", {"run_at": run_at, **result}, lines)
    print("\n".join(lines))
    print(f"\nwritten to {written}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
