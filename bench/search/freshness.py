"""Index freshness with tasks on Celery: how long after its commit a listing's change is found.

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://.../mp_bench_10000 \\
        [SEARCH_BACKEND=elasticsearch ELASTICSEARCH_INDEX_PREFIX=bench10000] \\
        .venv/bin/python bench/search/freshness.py [--changes 30]

Starts a Celery worker (solo pool) on the same configuration, then edits active listings through
`listings.services.update_listing` (the seller's own path: signal, on_commit, task on the broker,
worker, backend), giving each a new title with a word no listing has (after a random pause of up to a second),
and polls `search()` every 10 ms until the listing is found by that word. Reports p50/p95/max of commit-to-searchable in
bench/results/freshness-<label>.{md,json}. The titles are put back afterwards. A benchmark,
never a test.
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from listings.models import Listing, ListingState  # noqa: E402
from listings.services import update_listing  # noqa: E402
from search import service  # noqa: E402
from search.backends.base import SearchQuery  # noqa: E402

TARGET_MS = 1000
POLL_S = 0.01
GIVE_UP_S = 30


def start_worker() -> subprocess.Popen:
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "marketplace", "worker", "--pool=solo",
         "--concurrency=1", "-l", "warning"], cwd=ROOT, env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    time.sleep(5)  # the worker connects to the broker and registers its tasks
    return worker


def searchable_after(listing: Listing, word: str) -> float:
    """Seconds from the commit of a title change to the first search that finds it by `word`."""
    with transaction.atomic():
        update_listing(listing, actor=listing.seller, title=f"{listing.title[:150]} {word}")
    committed = time.perf_counter()
    while time.perf_counter() - committed < GIVE_UP_S:
        if any(hit.id == listing.pk for hit in service.search(SearchQuery(q=word)).hits):
            return time.perf_counter() - committed
        time.sleep(POLL_S)
    raise SystemExit(f"listing {listing.pk} not searchable by {word!r} after {GIVE_UP_S} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=30)
    args = parser.parse_args()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        raise SystemExit("Set CELERY_BROKER_URL: this measures indexing through Celery, not eager tasks.")
    backend = service.get_backend()
    listings = list(Listing.objects.filter(state=ListingState.ACTIVE, seller__isnull=False)
                    .select_related("seller").order_by("pk")[:args.changes])
    originals = {listing.pk: listing.title for listing in listings}
    service.search(SearchQuery(q="手机"))  # this process's own first search loads jieba: not part of it
    worker = start_worker()
    samples = []
    pauses = random.Random(7)
    try:
        for listing in listings:
            # A random pause: a change made right after the previous one became visible would
            # always land just after an Elasticsearch refresh and wait a whole interval.
            time.sleep(pauses.uniform(0, 1))
            word = "fresh" + uuid.uuid4().hex[:10].translate(str.maketrans("0123456789", "ghijklmnop"))
            samples.append(searchable_after(listing, word) * 1000)
    finally:
        for listing in listings:
            listing.refresh_from_db()
            with transaction.atomic():
                update_listing(listing, actor=listing.seller, title=originals[listing.pk])
        time.sleep(2)  # let the worker index the restored titles before it stops
        worker.terminate()
        worker.wait(timeout=30)
    label = f"{backend.name}-{connection.vendor}" if backend.name == "database" else backend.name
    ordered = sorted(samples)
    report = {
        "label": label, "date": datetime.now(UTC).isoformat(timespec="seconds"), "changes": len(samples),
        "p50_ms": round(statistics.median(ordered), 1), "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(ordered[-1], 1), "target_ms": TARGET_MS, "met": ordered[-1] < TARGET_MS,
        "load_average_at_end": os.getloadavg(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"freshness-{label}.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    text = (f"# Index freshness: {label}\n\n- date: {report['date']}; {report['changes']} title changes through "
            f"Celery (solo worker, Redis)\n- commit to searchable: p50 {report['p50_ms']} ms, p95 {report['p95_ms']} "
            f"ms, max {report['max_ms']} ms (target: within {TARGET_MS} ms: {'met' if report['met'] else 'MISSED'})\n")
    (RESULTS / f"freshness-{label}.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
