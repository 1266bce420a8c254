"""Relevance benchmark: a judged set scored on the configured backend, overall and per class.

    .venv/bin/python bench/search/relevance.py                      # database backend, SQLite
    DATABASE_URL=postgres://... .venv/bin/python bench/search/relevance.py
    SEARCH_BACKEND=elasticsearch .venv/bin/python bench/search/relevance.py
    .venv/bin/python bench/search/relevance.py --set tests/contract/data/dev   # another judged set

A judged set is a directory holding `corpus.json` and `judged.json` in the format of the contract
suite's (`--set`, default tests/contract/data, the regression set; tests/contract/data/dev is the
development set of issue 24). The backend is the one SEARCH_BACKEND names ("database" runs on the
vendor of DATABASE_URL). The set's corpus is loaded into a THROWAWAY database made by Django's
test database machinery (test_<name> on PostgreSQL, overridable with --test-db-name; in memory on
SQLite) and destroyed at the end, so the configured database's data is never read or written.
Elasticsearch gets a throwaway index prefix (bench_relevance_<random>) that is dropped at the end.

The corpus is indexed through the project's search interface (search.service.rebuild), every
judged query is run through search.service.search and scored with bench.relevance.harness, exactly
as tests/contract/test_relevance.py does, against the same floors; the scores are also given per
class of query (the judgments' `kind`). Prints a markdown report and writes
bench/results/relevance-<label>[-<set>].{md,json}, where <label> is "database-sqlite",
"database-postgresql" or "elasticsearch" and <set> the set directory's name for a set other than
the default (bench/search/run.py and matrix.py show these files beside the speed figures).
`--quiet` prints the summary lines only, without any query, key or listing of the set. A
benchmark, never a test: it exits 0 whether or not the floors are met, and says so plainly.
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

from bench.relevance.harness import (  # noqa: E402
    CORPUS_NAME,
    JUDGMENTS_NAME,
    K,
    evaluate,
    kind_table,
    load_judgments,
)
from search import service  # noqa: E402
from search.backends import load_backend  # noqa: E402
from search.backends.base import SearchUnavailable  # noqa: E402

# The same corpus loader, default set and floors as the contract suite (imported, not copied).
from tests.contract.corpus import DATA, create_corpus  # noqa: E402
from tests.contract.test_relevance import MIN_NDCG, MIN_NO_MISTAKE, MIN_RECALL  # noqa: E402

FLOORS = {"recall": MIN_RECALL, "ndcg": MIN_NDCG, "no_mistake_share": MIN_NO_MISTAKE}


def result_label(backend_name: str, vendor: str) -> str:
    """File label: the database backend's results depend on the database, Elasticsearch's do not."""
    return f"{backend_name}-{vendor}" if backend_name == "database" else backend_name


def set_suffix(directory: Path) -> str:
    """"" for the default set (the contract suite's), else "-<directory name>"."""
    return "" if directory.resolve() == DATA.resolve() else f"-{directory.resolve().name}"


def set_name(directory: Path) -> str:
    """The set as a path relative to the project when it lies inside it."""
    resolved = directory.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)


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
    # Compiled catalogs (*.mo) are build output, recompiled locally and never committed.
    dirty = git("status", "--porcelain", "--", "search", "grading/standards", "bench/relevance/harness.py",
                "tests/contract", ":(exclude,glob)**/*.mo")
    return commit + (" + uncommitted changes in search/, grading/standards/, bench/relevance/harness.py or "
                     "tests/contract/" if dirty else "")


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


def _scores(report) -> dict:
    return {
        "scored": len(report.scores), "skipped": len(report.skipped), "recall": round(report.recall, 4),
        "ndcg": round(report.ndcg, 4), "no_mistake_share": round(report.no_mistake_share, 4),
        "no_mistake": report.no_mistake_count,
    }


def score_backend(backend, directory: Path) -> dict:
    """Create the set's corpus, index it through search.service, run and score every judgment."""
    judgments = load_judgments(directory / JUDGMENTS_NAME)
    corpus = create_corpus(directory)
    unknown = {key for j in judgments for key in (*j.relevant, *j.mistakes)} - set(corpus.records)
    if unknown:
        raise SystemExit(f"judgments name {len(unknown)} listings the corpus lacks")
    unknown_categories = {j.category for j in judgments if j.category} - set(corpus.categories)
    if unknown_categories:
        raise SystemExit(f"judgments name {len(unknown_categories)} categories the corpus lacks")
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
        "set": set_name(directory), "judged": len(judgments), "scored": len(report.scores), "indexed": indexed,
        "capabilities": sorted(capabilities),
        "skipped": [{"id": j.id, "q": j.q, "needs": j.needs} for j in report.skipped],
        **{name: round(value, 4) for name, value in values.items()},
        "no_mistake": report.no_mistake_count,
        "floors": FLOORS, "met": all(values[name] >= floor for name, floor in FLOORS.items()),
        "summary": report.summary(), "failures": report.failures(),
        "by_kind": {kind: _scores(part) for kind, part in report.by_kind().items()},
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


def markdown(result: dict, quiet: bool = False) -> str:
    lines = [
        f"# Search relevance: {result['label']}",
        "",
        f"- date: {result['date']}; code: {result['revision']}",
        f"- engine: {result['engine']}; backend capabilities: {', '.join(result['capabilities']) or 'none'}",
        f"- judged set: {result['set']} ({result['judged']} queries) on its corpus "
        f"({result['indexed']} active listings indexed), throwaway {result['throwaway']}",
        "",
        table([result]),
        "",
        f"Per class (recall@{K} / nDCG@{K} / queries without a clear mistake):",
        "",
        kind_table([result]),
        "",
    ]
    if quiet:
        return "\n".join(lines)
    if result["skipped"]:
        lines.append("Skipped (the backend does not claim the capability): "
                     + ", ".join(f"{s['id']} {s['q']!r} (needs {s['needs']})" for s in result["skipped"]) + ".")
        lines.append("")
    lines += ["## Queries with a miss or a mistake", ""]
    lines += [f"- `{line}`" for line in result["failures"]] or ["None."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=DATA, dest="directory", metavar="DIR",
                        help=f"judged set directory holding {CORPUS_NAME} and {JUDGMENTS_NAME} "
                        f"(default {set_name(DATA)})")
    parser.add_argument("--quiet", action="store_true",
                        help="print only the summary and the per-class scores (no query, key or failure line)")
    parser.add_argument("--test-db-name", help="name of the throwaway database on PostgreSQL "
                        "(default test_<NAME>_relevance_<pid>; it must not exist)")
    args = parser.parse_args()
    directory = args.directory if args.directory.is_absolute() else Path.cwd() / args.directory
    if not (directory / CORPUS_NAME).is_file() or not (directory / JUDGMENTS_NAME).is_file():
        raise SystemExit(f"{args.directory} must hold {CORPUS_NAME} and {JUDGMENTS_NAME}")

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
        result = score_backend(backend, directory)
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
    stem = RESULTS / f"relevance-{result['label']}{set_suffix(directory)}"
    stem.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result, quiet=args.quiet))


if __name__ == "__main__":
    main()
