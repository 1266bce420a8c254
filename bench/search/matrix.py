"""The whole search benchmark: every size on every backend, then one summary.

    .venv/bin/python bench/search/matrix.py [--sizes 10000,100000] [--rounds 100] [--only LABEL,...]

For each size it makes (once, then reuses) a corpus with `generate_data --seed 7` in a database
of its own: `mp_bench_<size>` on the PostgreSQL server of BENCH_POSTGRES_URL (default: the one
`scripts/services` starts) and `<BENCH_DATA>/bench-<size>.sqlite3` (default
/var/tmp/marketplace-bench). Then, for each backend,

- database-sqlite: the database backend on the SQLite corpus,
- database-postgresql: the database backend on the PostgreSQL corpus,
- elasticsearch: the node at ELASTICSEARCH_URL fed from the PostgreSQL corpus (index prefix
  `bench<size>`),

it runs bench/search/run.py with --rebuild (the rebuild rate, then the query mix through the bare
engine, search() and the endpoint), in a child process with that configuration; the summary
shows the latest result file of every backend and size. First it scores each backend on the judged
sets (bench/search/relevance.py: the contract suite's regression set and the development set of
issue 24, plus any `--relevance-set DIR`), so the summary shows relevance per class of query beside
speed. The configured database and index of the project are never touched. Writes
bench/results/search-summary.{md,json} from the result files of this run. A benchmark, never a
test: it reports missed targets plainly.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import probes  # bench/search/probes.py, beside this script

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.relevance.harness import kind_table  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
SEED = 7
LABELS = ("database-sqlite", "database-postgresql", "elasticsearch")
SIZES_DEFAULT = (10_000, 100_000)
# The judged sets every run scores: the regression set and the development set of issue 24.
RELEVANCE_SETS = ("tests/contract/data", "tests/contract/data/dev")


def postgres_server() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", "postgres://marketplace:marketplace@127.0.0.1:5432").rstrip("/")


def data_dir() -> Path:
    path = Path(os.environ.get("BENCH_DATA", "/var/tmp/marketplace-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url(label: str, size: int) -> str:
    if label == "database-sqlite":
        return f"sqlite:///{data_dir() / f'bench-{size}.sqlite3'}"
    return f"{postgres_server()}/mp_bench_{size}"


def environment(label: str, size: int) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url(label, size), "LOG_LEVEL": "WARNING"}
    env.pop("CELERY_BROKER_URL", None)  # tasks eagerly: nothing else may write the corpus meanwhile
    env["SEARCH_BACKEND"] = "elasticsearch" if label == "elasticsearch" else "database"
    env["ELASTICSEARCH_INDEX_PREFIX"] = f"bench{size}"
    return env


def manage(env: dict, *args: str) -> str:
    completed = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if completed.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def listing_count(env: dict) -> int | None:
    code = "from listings.models import Listing; print(Listing.objects.count())"
    completed = subprocess.run([PYTHON, "manage.py", "shell", "-v", "0", "-c", code], cwd=ROOT, env=env,
                               capture_output=True, text=True)
    lines = completed.stdout.split()
    return int(lines[-1]) if completed.returncode == 0 and lines and lines[-1].isdigit() else None


def ensure_corpus(label: str, size: int) -> None:
    """A migrated database holding exactly `size` generated listings (made once, then reused)."""
    env = environment(label, size)
    if label == "database-sqlite":
        path = data_dir() / f"bench-{size}.sqlite3"
        if path.exists() and listing_count(env) != size:
            path.unlink()
    else:
        import psycopg

        name = f"mp_bench_{size}"
        with psycopg.connect(f"{postgres_server()}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and listing_count(env) != size:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = None
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
    manage(env, "migrate", "--noinput", "-v", "0")
    if listing_count(env) != size:
        print(f"[matrix] generating {size} listings for {label}", flush=True)
        print(manage(env, "generate_data", "--listings", str(size), "--seed", str(SEED), "--no-progress").strip())


def set_suffix(directory: str) -> str:
    """The suffix of a judged set's result files (bench/search/relevance.py's set_suffix)."""
    resolved = (ROOT / directory).resolve()
    return "" if resolved == (ROOT / RELEVANCE_SETS[0]).resolve() else f"-{resolved.name}"


def relevance(label: str, directory: str) -> None:
    """A judged set's scores on this backend (bench/search/relevance.py, throwaway database and
    index); only the summary lines are printed."""
    env = environment(label, min(SIZES_DEFAULT))
    completed = subprocess.run([PYTHON, "bench/search/relevance.py", "--set", directory, "--quiet"], cwd=ROOT, env=env,
                               capture_output=True, text=True)
    if completed.returncode:
        raise SystemExit(f"bench/search/relevance.py --set {directory} failed for {label}:\n{completed.stdout}\n"
                         f"{completed.stderr}")
    print(f"[matrix] relevance of {label} on {directory}: bench/results/relevance-{label}{set_suffix(directory)}.md",
          flush=True)


def relevance_summary(directories: list[str]) -> list[str]:
    """Per judged set: the scores of every backend, overall and per class of query."""
    lines = ["", "## Relevance per class of query", "",
             "recall@10 / nDCG@10 / queries without a clear mistake, per class (the judgments' `kind`) and "
             "backend, from the latest `bench/results/relevance-<backend>[-<set>].json` (each set on its "
             "own fixed corpus, in a throwaway database and index).", ""]
    for directory in directories:
        results = []
        for label in LABELS:
            path = RESULTS / f"relevance-{label}{set_suffix(directory)}.json"
            if path.exists():
                results.append(json.loads(path.read_text(encoding="utf-8")))
        if not results:
            continue
        lines += [f"### {directory}", "", "| backend | queries scored | recall@10 | nDCG@10 | no mistake | date |",
                  "| --- | ---: | ---: | ---: | ---: | --- |"]
        lines += [f"| {r['label']} | {r['scored']} of {r['judged']} | {r['recall']:.3f} | {r['ndcg']:.3f} | "
                  f"{r.get('no_mistake', '-')} of {r['scored']} ({r['no_mistake_share']:.3f}) | {r['date']} |"
                  for r in results]
        lines += ["", kind_table(results), ""]
    return lines


def run(label: str, size: int, rounds: int) -> Path:
    env = environment(label, size)
    print(f"[matrix] {label} at {size}: rebuild, then {rounds} rounds", flush=True)
    completed = subprocess.run(
        [PYTHON, "bench/search/run.py", "--rounds", str(rounds), "--rebuild", "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    if completed.returncode:
        raise SystemExit(f"bench/search/run.py failed for {label} at {size}:\n{completed.stdout}\n{completed.stderr}")
    path = Path(completed.stdout.strip().splitlines()[-1])
    print(f"[matrix] wrote {path.relative_to(ROOT)}", flush=True)
    return path


def summary(reports: list[dict], relevance_sets: list[str] = ()) -> str:
    first = reports[0]
    machine = first["machine"]
    lines = [
        "# Search benchmark summary",
        "",
        f"- date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- machine: {machine['cpu']} ({machine['cores']} cores, {machine['memory_gb']} GiB), "
        f"{machine['platform']}, Python {machine['python']}",
        f"- {first['rounds']} rounds per run after {first['warmup']} warm-up rounds; queries and modes interleaved",
        "- p95 in ms of the bare engine / search() / the HTTP endpoint (gunicorn, one worker); "
        "the per-run files hold p50 and p99",
        "",
    ]
    queries = list(first["results"])
    header = "| query | " + " | ".join(f"{r['label']} {r['size']}" for r in reports) + " |"
    lines += [header, "| --- |" + " ---: |" * len(reports)]
    for name in queries:
        cells = []
        for report in reports:
            modes = report["results"][name]
            cells.append(f"{modes['bare']['p95']} / {modes['search']['p95']} / {modes.get('http', {}).get('p95', '-')}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| run | engine | load at start | speed probes | targets met | rebuild listings/s | peak RSS MiB |",
              "| --- | --- | --- | --- | ---: | ---: | ---: |"]
    for report in reports:
        met = sum(1 for check in report["targets"] if check["met"])
        rebuild = report.get("rebuild") or {}
        load = ", ".join(f"{x:.1f}" for x in report["machine"]["load_average_at_start"])
        lines.append(f"| {report['label']} {report['size']} | {report['engine']} | {load} | {probes.describe(report['machine'])} | "
                     f"{met} of {len(report['targets'])} | {rebuild.get('per_second', '-')} | "
                     f"{rebuild.get('peak_rss_mb_largest_process', '-')} |")
    missed = [(report, check) for report in reports for check in report["targets"] if not check["met"]]
    lines += ["", "## Missed targets", ""]
    if not missed:
        lines.append("None.")
    for report, check in missed:
        lines.append(f"- {report['label']} {report['size']}, {check['query']}: {check['target']}: "
                     f"{check['value']} (limit {check['limit']})")
    rebuilds = [r for r in reports if r.get("rebuild") and r["size"] >= 50_000]
    for report in rebuilds:
        if report["rebuild"]["per_second"] < 4000:
            lines.append(f"- {report['label']} {report['size']}: rebuild {report['rebuild']['per_second']} "
                         "listings/s (target 4,000)")
    lines += relevance_summary(list(relevance_sets))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES_DEFAULT))
    parser.add_argument("--no-relevance", action="store_true", help="skip the judged-set scores")
    parser.add_argument("--relevance-set", action="append", default=[], metavar="DIR",
                        help="another judged set directory to score and show per class (repeatable)")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--only", default=",".join(LABELS), help="comma-separated subset of " + ", ".join(LABELS))
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    labels = [label for label in args.only.split(",") if label]
    unknown = set(labels) - set(LABELS)
    if unknown:
        raise SystemExit(f"unknown labels: {', '.join(sorted(unknown))}")
    print(f"[matrix] {platform.node()}: sizes {sizes}, {', '.join(labels)}", flush=True)
    for size in sizes:
        for corpus in {"database-sqlite" if label == "database-sqlite" else "database-postgresql" for label in labels}:
            ensure_corpus(corpus, size)
    relevance_sets = [*RELEVANCE_SETS, *args.relevance_set]
    if not args.no_relevance:
        for directory in relevance_sets:
            for label in labels:
                relevance(label, directory)
    for size in sizes:
        for label in labels:
            run(label, size, args.rounds)
    # Every backend's latest result files, so that a partial rerun (--only, --sizes) refreshes its
    # rows of the summary and keeps the others.
    reports = []
    for label in LABELS:
        for path in RESULTS.glob(f"search-{label}-*.json"):
            reports.append({**json.loads(path.read_text(encoding="utf-8")), "label": label})
    reports.sort(key=lambda report: (report["size"], LABELS.index(report["label"])))
    text = summary(reports, relevance_sets)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search-summary.md").write_text(text, encoding="utf-8")
    (RESULTS / "search-summary.json").write_text(
        json.dumps([{k: r[k] for k in ("label", "size", "date", "engine", "results", "targets", "rebuild")
                     if k in r} for r in reports], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
