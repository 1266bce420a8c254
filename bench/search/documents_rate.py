"""Speed of building search documents, and a hash over every document built (no engine involved).

    .venv/bin/python bench/search/documents_rate.py --db /var/tmp/marketplace-bench/bench-100000.sqlite3 \\
        [--listings 6000] [--stride 3] [--workers 2] [--root /tmp/old]

Reads the corpus's active listings in `active_id_batches` order (`--stride N`: every Nth batch of
500, a sample across categories; `--listings`: stop after that many) and builds their documents
in this process (timing only `build_documents`, wall clock and CPU) or, with `--workers`, through
`search.rebuild.parallel_documents` as a rebuild does. Prints one JSON line: documents, seconds,
documents/s and the SHA-256 of every document (JSON, keys sorted), which a change that must not
change any document has to leave byte-identical. `--root` imports another checkout (the code of an
earlier commit, from `git archive`) to compare in the same window; the database must have been
migrated by the newest of the two. A benchmark: it asserts nothing.
"""
import argparse
import hashlib
import json
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="a SQLite corpus (generate_data), migrated")
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    parser.add_argument("--listings", type=int, default=0, help="0: every active listing")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, args.root)
    os.chdir(args.root)
    os.environ["DATABASE_URL"] = f"sqlite:///{os.path.abspath(args.db)}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    from search import documents
    from search.text import tokenizer

    tokenizer()  # jieba's dictionary, loaded before the clock starts (a rebuild's workers inherit it)
    batches, count = [], 0
    for index, ids in enumerate(documents.active_id_batches(500)):
        if args.listings and count >= args.listings:
            break
        if index % args.stride == 0:
            batches.append(ids)
            count += len(ids)
    digest, built = hashlib.sha256(), 0

    def add(document: dict) -> None:
        nonlocal built
        built += 1
        digest.update(json.dumps(document, sort_keys=True, default=str, ensure_ascii=False).encode() + b"\n")

    cpu = None
    if args.workers > 1:
        from search import rebuild

        pending = iter(batches)
        rebuild._id_batches = lambda _size: pending  # the sample instead of every batch
        start = time.perf_counter()
        for document in rebuild.parallel_documents(args.workers):
            add(document)
        seconds = time.perf_counter() - start
    else:
        seconds = cpu = 0.0
        for ids in batches:
            wall, used = time.perf_counter(), time.process_time()
            chunk = documents.build_documents(documents.listings_for_documents(ids))
            seconds += time.perf_counter() - wall
            cpu += time.process_time() - used
            for document in chunk:
                add(document)
    print(json.dumps({
        "root": args.root, "documents": built, "workers": args.workers, "seconds": round(seconds, 2),
        "per_second": round(built / seconds), "per_cpu_second": round(built / cpu) if cpu else None,
        "sha256": digest.hexdigest(), "load": os.getloadavg()[0],
    }))


if __name__ == "__main__":
    main()
