"""Relevance benchmark: the judged set of the contract suite, scored on the configured backend.

    .venv/bin/python bench/search/relevance.py                      # database backend, SQLite
    DATABASE_URL=postgres://... .venv/bin/python bench/search/relevance.py
    SEARCH_BACKEND=elasticsearch .venv/bin/python bench/search/relevance.py

The backend is the one SEARCH_BACKEND names ("database" runs on the vendor of DATABASE_URL). The
fixed corpus (tests/contract/data/corpus.json) is loaded into a THROWAWAY database made by Django's
test database machinery (test_<name> on PostgreSQL, overridable with --test-db-name; in memory on
SQLite) and destroyed at the end, so the configured database's data is never read or written.
Elasticsearch gets a throwaway index prefix (bench_relevance_<random>) that is dropped at the end.

The corpus is indexed through the project's search interface (search.service.rebuild), every
judged query (tests/contract/data/judged.json) is run through search.service.search and scored
with bench.relevance.harness, exactly as tests/contract/test_relevance.py does, against the same floors.
Prints a markdown table and writes bench/results/relevance-<label>.{md,json}, where <label> is
"database-sqlite", "database-postgresql" or "elasticsearch" (bench/search/run.py shows the file
of its own backend and database beside its speed figures). A benchmark, never a test: it exits 0
whether or not the floors are met, and says so plainly.
"""
import argparse
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

from bench.relevance.harness import K, evaluate, load_judgments  # noqa: E402
from search import service  # noqa: E402
from search.backends import load_backend  # noqa: E402
from search.backends.base import SearchUnavailable  # noqa: E402

# The same corpus loader, judgment file and floors as the contract suite (imported, not copied).
from tests.contract.corpus import JUDGMENTS_FILE, create_corpus  # noqa: E402
from tests.contract.test_relevance import MIN_NDCG, MIN_NO_MISTAKE, MIN_RECALL  # noqa: E402

FLOORS = {"recall": MIN_RECALL, "ndcg": MIN_NDCG, "no_mistake_share": MIN_NO_MISTAKE}


def result_label(backend_name: str, vendor: str) -> str:
    """File label: the database backend's results depend on the database, Elasticsearch's do not."""
    return f"{backend_name}-{vendor}" if backend_name == "database" else backend_name


def engine_version(backend) -> str:
    if backend.name == "elasticsearch":
        nodes = backend.client.nodes.info(filter_path="nodes.*.version")
        return "Elasticsearch " + ",".join(sorted({n["version"] for n in nodes["nodes"].values()}))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0].split()[0]
        cursor.execute("SELECT sqlite_version()")
        return "SQLite " + cursor.fetchone()[0]


def revision() -> str:
    """The commit measured, and whether search/, the harness or the judged set had uncommitted changes (read-only git)."""
    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "search", "bench/relevance/harness.py", "tests/contract")
    return commit + (" + uncommitted changes in search/, bench/relevance/harness.py or tests/contract/" if dirty else "")


def make_backend(name: str):
    """The backend under test; Elasticsearch on a throwaway prefix whose writes wait for a refresh."""
    if name != "elasticsearch":
        return load_backend(name)
    backend = load_backend(name, index_prefix=f"bench_relevance_{uuid.uuid4().hex[:8]}", refresh="wait_for")
    try:
        health = backend.health()
    except SearchUnavailable as error:
        raise SystemExit(f"Elasticsearch is not reachable at {settings.ELASTICSEARCH_URL}: {error}") from None
    if health.get("status") == "red":
        raise SystemExit(f"Elasticsearch at {settings.ELASTICSEARCH_URL} is red")
    return backend


def score_backend(backend) -> dict:
    """Create the corpus, index it through search.service, run and score every judgment."""
    judgments = load_judgments(JUDGMENTS_FILE)
    corpus = create_corpus()
    unknown = {key for j in judgments for key in (*j.relevant, *j.mistakes)} - set(corpus.records)
    if unknown:
        raise SystemExit(f"judgments name listings the corpus lacks: {sorted(unknown)}")
    # As the contract suite's corpus fixture: the corpus says which listings are certified.
    certified = {corpus.id(key) for key, record in corpus.records.items() if record["certified"]}
    with mock.patch("search.documents.certified_ids", lambda ids: certified & set(ids)):
        indexed = service.rebuild()
    active = len(corpus.active())
    if indexed != active:
        raise SystemExit(f"indexed {indexed} documents, the corpus has {active} active listings")

    def run(judgment):
        category = corpus.categories[judgment.category].pk if judgment.category else None
        results = service.search(judgment.to_query(category_id=category, page_size=K))
        return corpus.keys(hit.id for hit in results.hits)

    capabilities = backend.capabilities
    report = evaluate(judgments, run, capabilities=capabilities)
    values = {"recall": report.recall, "ndcg": report.ndcg, "no_mistake_share": report.no_mistake_share}
    return {
        "judged": len(judgments), "scored": len(report.scores), "indexed": indexed,
        "capabilities": sorted(capabilities),
        "skipped": [{"id": j.id, "q": j.q, "needs": j.needs} for j in report.skipped],
        **{name: round(value, 4) for name, value in values.items()},
        "floors": FLOORS, "met": all(values[name] >= floor for name, floor in FLOORS.items()),
        "summary": report.summary(), "failures": report.failures(),
        "queries": [
            {"id": s.judgment.id, "q": s.judgment.q, "kind": s.judgment.kind_of_query,
             "recall": round(s.recall, 4), "ndcg": round(s.ndcg, 4), "mistakes": s.mistakes_found,
             "top": s.ranked[:K]}
            for s in report.scores
        ],
    }


def table(results: list[dict]) -> str:
    """The relevance table, one row per result (also used by bench/search/run.py)."""
    lines = [
        f"| backend | engine | queries scored | recall@{K} | nDCG@{K} | no-mistake share | floors (recall / nDCG / no-mistake) | met |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in results:
        floors = r["floors"]
        lines.append(
            f"| {r['label']} | {r['engine']} | {r['scored']} of {r['judged']} | {r['recall']:.3f} | {r['ndcg']:.3f} | "
            f"{r['no_mistake_share']:.3f} | {floors['recall']:.2f} / {floors['ndcg']:.2f} / "
            f"{floors['no_mistake_share']:.2f} | {'yes' if r['met'] else '**MISSED**'} |"
        )
    return "\n".join(lines)


def markdown(result: dict) -> str:
    lines = [
        f"# Search relevance: {result['label']}",
        "",
        f"- date: {result['date']}; code: {result['revision']}",
        f"- engine: {result['engine']}; backend capabilities: {', '.join(result['capabilities']) or 'none'}",
        f"- judged set: tests/contract/data/judged.json ({result['judged']} queries) on the contract corpus "
        f"({result['indexed']} active listings indexed), throwaway {result['throwaway']}",
        "",
        table([result]),
        "",
    ]
    if result["skipped"]:
        lines.append("Skipped (the backend does not claim the capability): "
                     + ", ".join(f"{s['id']} {s['q']!r} (needs {s['needs']})" for s in result["skipped"]) + ".")
        lines.append("")
    lines += ["## Queries with a miss or a mistake", ""]
    lines += [f"- `{line}`" for line in result["failures"]] or ["None."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test-db-name", help="name of the throwaway database on PostgreSQL "
                        "(default test_<NAME>_relevance_<pid>; it must not exist)")
    args = parser.parse_args()

    name = settings.SEARCH_BACKEND
    backend = make_backend(name)
    saved_backends = dict(service._backends)
    database = connection.settings_dict
    if connection.vendor != "sqlite":
        # Never the name a pytest run is using at the same time (test_<NAME>); never clobbered.
        database.setdefault("TEST", {})
        database["TEST"]["NAME"] = args.test_db_name or f"test_{database['NAME']}_relevance_{os.getpid()}"
    original_name = database["NAME"]
    setup_test_environment()
    try:
        test_name = connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False, keepdb=False)
        service._backends[name] = backend  # search.service (rebuild, search) routed to the throwaway backend
        result = score_backend(backend)
        result.update({
            "backend": name, "database": connection.vendor, "label": result_label(name, connection.vendor),
            "engine": engine_version(backend), "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "revision": revision(),
            "throwaway": (f"index prefix {backend._index_prefix} (dropped)" if name == "elasticsearch"
                          else f"database {'in memory' if connection.vendor == 'sqlite' else test_name} (destroyed)"),
        })
    finally:
        service._backends.clear()
        service._backends.update(saved_backends)
        if name == "elasticsearch":
            backend.clear()
        if connection.settings_dict["NAME"] != original_name:
            # The test database exists (even when its migrations failed): drop it, point back to the original.
            connection.creation.destroy_test_db(original_name, verbosity=0)
        teardown_test_environment()

    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"relevance-{result['label']}"
    stem.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
