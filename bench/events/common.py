"""Shared setup of the events benchmarks: a PostgreSQL database of their own, Django on it, reports.

The benchmarks never touch the project's database: each run drops and re-creates
`mp_bench_events` on the server of BENCH_POSTGRES_URL (default: the one `make services` starts)
and migrates it. Reports go to bench/results/events-<name>.{md,json}.
"""
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DATABASE = "mp_bench_events"


def postgres_server() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", "postgres://marketplace:marketplace@127.0.0.1:5432").rstrip("/")


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(f"{postgres_server()}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def setup_django(*, postgres: bool = True) -> None:
    """Django on a fresh, migrated benchmark database (or on whatever DATABASE_URL says, for the
    pure solver benchmark, which needs none)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    if postgres:
        fresh_database()
        os.environ["DATABASE_URL"] = f"{postgres_server()}/{DATABASE}"
        os.environ["DATABASE_CONN_MAX_AGE"] = "0"
    import django

    django.setup()
    if postgres:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def machine() -> dict:
    from django.db import connection

    from bench.search import probes

    return {"cpus": os.cpu_count(), "load_average": [round(value, 2) for value in os.getloadavg()],
            "probes": probes.measure(connection)}


def write_report(name: str, payload: dict, lines: list[str]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"run_at": now_iso(), **payload}
    (RESULTS / f"events-{name}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
    path = RESULTS / f"events-{name}.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Server:
    """The API served by gunicorn (threaded workers, as in production) on the benchmark database."""

    def __init__(self, port: int = 8765, workers: int = 4, threads: int = 4):
        self.base = f"http://127.0.0.1:{port}"
        self.port, self.workers, self.threads = port, workers, threads
        self.process = None

    def __enter__(self):
        import subprocess
        import time
        import urllib.request

        env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(self.workers),
               "GUNICORN_THREADS": str(self.threads), "THROTTLE_WRITES": "100000/min", "THROTTLE_USER": "100000/min",
               "DATABASE_CONN_MAX_AGE": "60"}
        self.process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                                         "marketplace.wsgi"], cwd=ROOT, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise SystemExit("gunicorn did not come up within 60 s")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)

    def call(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict, float]:
        """(status, JSON body, milliseconds) of one request with a fresh connection."""
        import time
        import urllib.error
        import urllib.request

        data = json.dumps(body or {}).encode()
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers={
            "Authorization": f"Token {token}", "Content-Type": "application/json", "Accept-Language": "en"})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        elapsed = (time.perf_counter() - started) * 1000
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            parsed = {"type": "not_json"}
        return status, parsed, elapsed


def race(count: int, action) -> list:
    """Run action(index) in `count` threads released together; their results in index order."""
    import threading

    barrier, results = threading.Barrier(count), [None] * count

    def run(index):
        barrier.wait()
        results[index] = action(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
