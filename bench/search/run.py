"""Search benchmark: latency of a fixed query mix through search(), the HTTP endpoint and the bare
engine, interleaved round-robin in one run; optionally the speed and memory of a full rebuild.

    DATABASE_URL=postgres://... SEARCH_BACKEND=elasticsearch \\
        .venv/bin/python bench/search/run.py --rounds 200 [--rebuild]

Load a corpus first (`manage.py generate_data --listings 100000 --seed 7` and
`manage.py search_rebuild`), or let bench/search/matrix.py do it for every size and backend.
Writes bench/results/search-<label>-<active listings>.{md,json}, <label> one of database-sqlite,
database-postgresql, elasticsearch.

"Bare engine" is the same work sent straight to the engine in the same run: for Elasticsearch the
_msearch lines search() sends (`ElasticsearchBackend.compile`), through the low-level client; for the
database backend the SQL statements search() executes (captured with a Django execute wrapper),
sent with a plain psycopg / sqlite3 connection. A benchmark, never a test: it asserts nothing and
reports missed targets plainly.
"""
import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

import django  # noqa: E402

django.setup()

import probes  # noqa: E402  (bench/search/probes.py, beside this script)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from bench.relevance.harness import kind_table  # noqa: E402
from listings.models import Category, Listing, ListingState  # noqa: E402
from search import service  # noqa: E402
from search.backends.base import SearchQuery  # noqa: E402

# Targets from the issue, p95 in ms.
PG_TARGETS = {"chinese_word": 10, "two_words": 10, "english": 10, "identifier": 10, "filters_only": 10,
              "word_filters": 10, "facets": 20, "geo_radius": 20, "deep_page": 40, "broad_word": 20}
PG_CEILING = 40
ES_TARGETS = {"deep_page": 25}
ES_DEFAULT = 15
ENDPOINT_OVERHEAD_MS = 5
SEARCH_OVERHEAD_RATIO, SEARCH_OVERHEAD_FLOOR_MS = 1.25, 1.0


def query_mix() -> dict[str, SearchQuery]:
    """The fixed mix; the identifier and the deep page are taken from the corpus (deterministically)."""
    textbook = (Listing.objects.filter(state=ListingState.ACTIVE, category__slug="textbooks")
                .order_by("pk").values_list("attributes", flat=True).first()) or {}
    phones = Category.objects.filter(slug="phones-tablets").values_list("pk", flat=True).first()
    active = Listing.objects.filter(state=ListingState.ACTIVE).count()
    deep_page = max(1, min(250, active // 20 // 2))
    return {
        "chinese_word": SearchQuery(q="空调"),
        "two_words": SearchQuery(q="华为 手机"),
        "english": SearchQuery(q="laptop"),
        "identifier": SearchQuery(q=textbook.get("isbn", "9787111544937")),
        "filters_only": SearchQuery(city="深圳市", kind="second_hand", min_price=Decimal("100"), max_price=Decimal("2000")),
        "word_filters": SearchQuery(q="沙发", city="广州市", max_price=Decimal("1000")),
        "facets": SearchQuery(category=phones, grade="A", sort="price_asc"),
        "geo_radius": SearchQuery(near=(23.13, 113.26), radius_km=10, sort="distance"),
        "deep_page": SearchQuery(sort="newest", page=deep_page),
        "broad_word": SearchQuery(q="九成新"),
    }


def http_params(query: SearchQuery) -> dict:
    params = {"sort": query.sort, "page": query.page}
    for name in ("q", "category", "kind", "grade", "min_price", "max_price", "city"):
        value = getattr(query, name)
        if value not in (None, ""):
            params[name] = value
    if query.near:
        params["near"] = f"{query.near[0]},{query.near[1]}"
        params["radius_km"] = query.radius_km
    return params


class BareDatabase:
    """Replays the SQL search() ran, on a plain DB-API connection of the same database."""

    def __init__(self):
        self.statements: dict[str, list[tuple[str, tuple]]] = {}
        if connection.vendor == "postgresql":
            import psycopg

            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            self.raw = psycopg.connect(**params, autocommit=True)
            self.placeholder = None
        else:
            import sqlite3

            self.raw = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            self.placeholder = "?"

    def capture(self, name: str, query: SearchQuery) -> None:
        captured = []

        def wrapper(execute, sql, params, many, context):
            captured.append((sql, tuple(params or ())))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(wrapper):
            service.search(query)
        self.statements[name] = captured

    def run(self, name: str) -> None:
        cursor = self.raw.cursor()
        for sql, params in self.statements[name]:
            if self.placeholder:
                sql = sql.replace("%s", self.placeholder)
            cursor.execute(sql, params)
            cursor.fetchall()


class BareElasticsearch:
    def __init__(self, backend):
        self.backend = backend
        self.bodies: dict[str, list] = {}

    def capture(self, name: str, query: SearchQuery) -> None:
        self.bodies[name] = self.backend.compile(query)

    def run(self, name: str) -> None:
        self.backend.client.msearch(index=self.backend.alias, searches=self.bodies[name])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "DEBUG": "0", "THROTTLE_ANON": "100000000/min", "THROTTLE_USER": "100000000/min",
           "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        # The shipped configuration (gunicorn.conf.py: threaded worker, keep-alive), one worker, one thread.
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
         "marketplace.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "1",
         "--max-requests", "0", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start within 30 s")


def summary(values: list[float]) -> dict:
    return {"p50": round(probes.percentile(values, 0.50), 2), "p95": round(probes.percentile(values, 0.95), 2),
            "p99": round(probes.percentile(values, 0.99), 2), "mean": round(statistics.fmean(values), 2), "n": len(values)}


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_gb, 1),
            "python": platform.python_version(), "load_average_at_start": os.getloadavg(), "probes": probes.measure(connection)}


def engine_version(backend) -> str:
    if backend.name == "elasticsearch":
        nodes = backend.client.nodes.info(filter_path="nodes.*.version")
        return "Elasticsearch " + ",".join(sorted({n["version"] for n in nodes["nodes"].values()}))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return "PostgreSQL " + cursor.fetchone()[0]
        cursor.execute("SELECT sqlite_version()")
        return "SQLite " + cursor.fetchone()[0]


def run_rebuild() -> dict:
    """`manage.py search_rebuild` in a child process: documents per second and peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "manage.py", "search_rebuild", "--no-progress"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    count = Listing.objects.filter(state=ListingState.ACTIVE).count()
    return {"documents": count, "seconds": round(elapsed, 1), "per_second": round(count / elapsed),
            "peak_rss_mb_largest_process": round(max(peak_kb, before) / 1024), "output": completed.stdout.strip()}


def targets(backend_name: str, results: dict) -> list[dict]:
    checks = []
    for name, modes in results.items():
        bare, direct, http = modes["bare"]["p95"], modes["search"]["p95"], modes.get("http", {}).get("p95")
        allowed = max(bare * SEARCH_OVERHEAD_RATIO, bare + SEARCH_OVERHEAD_FLOOR_MS)
        checks.append({"query": name, "target": "search() p95 within 1.25x of bare (or 1 ms)",
                       "value": direct, "limit": round(allowed, 2), "met": direct <= allowed})
        if http is not None:
            checks.append({"query": name, "target": "endpoint p95 at most 5 ms above search()",
                           "value": http, "limit": round(direct + ENDPOINT_OVERHEAD_MS, 2),
                           "met": http <= direct + ENDPOINT_OVERHEAD_MS})
        if backend_name == "elasticsearch" and http is not None:
            limit = ES_TARGETS.get(name, ES_DEFAULT)
            checks.append({"query": name, "target": f"ES endpoint p95 < {limit} ms", "value": http, "limit": limit,
                           "met": http < limit})
        if backend_name == "database" and connection.vendor == "postgresql":
            limit = PG_TARGETS.get(name, PG_CEILING)
            checks.append({"query": name, "target": f"PostgreSQL search() p95 < {limit} ms", "value": direct,
                           "limit": limit, "met": direct < limit})
    return checks


def result_label(backend_name: str) -> str:
    """database-sqlite, database-postgresql or elasticsearch: what the result files are named by."""
    return f"{backend_name}-{connection.vendor}" if backend_name == "database" else backend_name


def relevance_result(backend_name: str) -> dict | None:
    """The judged-set scores bench/search/relevance.py wrote for this backend (and database), if any."""
    path = RESULTS / f"relevance-{result_label(backend_name)}.json"
    if not path.exists():
        return None
    saved = json.loads(path.read_text(encoding="utf-8"))
    keys = ("label", "engine", "date", "judged", "scored", "recall", "ndcg", "no_mistake_share", "floors", "met")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return {"file": str(shown), **{key: saved[key] for key in keys}, "by_kind": saved.get("by_kind", {})}


def markdown(report: dict) -> str:
    lines = [
        f"# Search benchmark: {report['backend']} at {report['size']} listings",
        "",
        f"- date: {report['date']}",
        f"- engine: {report['engine']}; database: {report['database']}",
        f"- machine: {report['machine']['cpu']} ({report['machine']['cores']} cores, "
        f"{report['machine']['memory_gb']} GiB), {report['machine']['platform']}, Python {report['machine']['python']}",
        f"- load average at start: {', '.join(f'{x:.2f}' for x in report['machine']['load_average_at_start'])} "
        "(the machine is shared: figures are upper bounds)",
        f"- speed probes: {probes.describe(report['machine'])}",
        f"- {report['rounds']} rounds after {report['warmup']} warm-up rounds, queries and modes interleaved round-robin",
        "",
        "| query | bare p50 | bare p95 | bare p99 | search() p50 | search() p95 | search() p99 | HTTP p50 | HTTP p95 | HTTP p99 | hits |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, modes in report["results"].items():
        http = modes.get("http", {"p50": "-", "p95": "-", "p99": "-"})
        lines.append(
            f"| {name} | {modes['bare']['p50']} | {modes['bare']['p95']} | {modes['bare']['p99']} | "
            f"{modes['search']['p50']} | {modes['search']['p95']} | {modes['search']['p99']} | "
            f"{http['p50']} | {http['p95']} | {http['p99']} | {report['totals'][name]} |"
        )
    lines += ["", "Times in milliseconds.", "", "## Targets", "", "| query | target | value | limit | met |",
              "| --- | --- | ---: | ---: | --- |"]
    for check in report["targets"]:
        lines.append(f"| {check['query']} | {check['target']} | {check['value']} | {check['limit']} | "
                     f"{'yes' if check['met'] else '**MISSED**'} |")
    if report.get("rebuild"):
        rebuild = report["rebuild"]
        lines += ["", "## Full rebuild", "",
                  f"{rebuild['documents']} documents in {rebuild['seconds']} s: **{rebuild['per_second']} listings/s** "
                  f"(target 4,000/s: {'met' if rebuild['per_second'] >= 4000 else 'MISSED'}); peak resident memory "
                  f"of the largest process {rebuild['peak_rss_mb_largest_process']} MiB."]
    if report.get("relevance"):
        r = report["relevance"]
        floors = r["floors"]
        lines += ["", "## Relevance", "",
                  f"The judged set of the contract suite (its own fixed corpus, not this one), from `{r['file']}` "
                  f"({r['date']}; rerun `bench/search/relevance.py` to refresh).", "",
                  "| backend | engine | queries scored | recall@10 | nDCG@10 | no-mistake share | "
                  "floors (recall / nDCG / no-mistake) | met |",
                  "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
                  f"| {r['label']} | {r['engine']} | {r['scored']} of {r['judged']} | {r['recall']:.3f} | {r['ndcg']:.3f} | "
                  f"{r['no_mistake_share']:.3f} | {floors['recall']:.2f} / {floors['ndcg']:.2f} / "
                  f"{floors['no_mistake_share']:.2f} | {'yes' if r['met'] else '**MISSED**'} |"]
        if r.get("by_kind"):
            lines += ["", "Per class of query (recall@10 / nDCG@10 / queries without a clear mistake):", "",
                      kind_table([r])]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP endpoint (no gunicorn)")
    parser.add_argument("--rebuild", action="store_true", help="first time a full rebuild (search_rebuild)")
    parser.add_argument("--quiet", action="store_true", help="print only the path of the JSON report")
    args = parser.parse_args()

    backend = service.get_backend()
    # The rebuild first, so the queries then run on the freshly built index.
    rebuild = run_rebuild() if args.rebuild else None
    size = Listing.objects.filter(state=ListingState.ACTIVE).count()
    mix = query_mix()
    bare = BareElasticsearch(backend) if backend.name == "elasticsearch" else BareDatabase()
    totals = {}
    for name, query in mix.items():
        bare.capture(name, query)
        totals[name] = service.search(query).total

    server = port = None
    if not args.no_http:
        port = free_port()
        server = start_server(port)
    http = HTTPConnection("127.0.0.1", port) if port else None
    paths = {name: "/api/v1/search/listings?" + urlencode(http_params(q)) for name, q in mix.items()}

    def call_http(name):
        http.request("GET", paths[name], headers={"Accept": "application/json"})
        response = http.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"{name}: HTTP {response.status}")

    modes = {"bare": bare.run, "search": lambda name: service.search(mix[name])}
    if http:
        modes["http"] = call_http
    samples = {name: {mode: [] for mode in modes} for name in mix}
    try:
        for round_number in range(args.warmup + args.rounds):
            for name in mix:
                for mode, call in modes.items():
                    started = time.perf_counter()
                    call(name)
                    elapsed = (time.perf_counter() - started) * 1000
                    if round_number >= args.warmup:
                        samples[name][mode].append(elapsed)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)

    results = {name: {mode: summary(values) for mode, values in modes_.items()} for name, modes_ in samples.items()}
    report = {
        "backend": backend.name, "size": size, "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": engine_version(backend), "database": connection.vendor, "machine": machine(),
        "rounds": args.rounds, "warmup": args.warmup, "queries": {n: http_params(q) for n, q in mix.items()},
        "totals": totals, "results": results,
    }
    report["targets"] = targets(backend.name, results)
    if rebuild:
        report["rebuild"] = rebuild
    relevance = relevance_result(backend.name)
    if relevance:
        report["relevance"] = relevance
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"search-{result_label(backend.name)}-{size}"
    stem.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    stem.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(stem.with_suffix(".json") if args.quiet else markdown(report))


if __name__ == "__main__":
    main()
