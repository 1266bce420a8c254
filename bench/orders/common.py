"""What the orders benchmarks share: a PostgreSQL database of their own (never the project's), the
shipped gunicorn configuration, HTTP timing, percentiles and a description of the machine.

Import this module before Django: it points DATABASE_URL at the bench database and sets Django up.
"""
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "search"))  # probes.py: machine speed probes and percentiles

BENCH_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://marketplace:marketplace@127.0.0.1:5432/mp_orders_bench")
os.environ["DATABASE_URL"] = BENCH_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import probes  # noqa: E402


def reset_database() -> None:
    """Drop and create the bench database, then migrate it (a child process)."""
    import psycopg

    name = BENCH_URL.rsplit("/", 1)[1]
    admin = BENCH_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": BENCH_URL})


def setup_django():
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, **env_extra) -> subprocess.Popen:
    """gunicorn with the shipped gunicorn.conf.py (threaded workers, keep-alive), DEBUG off, throttles lifted."""
    env = {**os.environ, "DEBUG": "0", "DATABASE_URL": BENCH_URL, "THROTTLE_ANON": "100000000/min",
           "THROTTLE_USER": "100000000/min", "THROTTLE_WRITES": "100000000/min", "LOG_LEVEL": "WARNING",
           "GUNICORN_BIND": f"127.0.0.1:{port}", **env_extra}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
         "marketplace.wsgi:application", "--max-requests", "0", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 240  # five workers load Django at once: slow on a busy machine
    while time.monotonic() < deadline:
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not answer /healthz within 240 s")


def start_worker(broker: str) -> subprocess.Popen:
    """A Celery worker on `broker` for the bench database (for runs with tasks off the request path)."""
    env = {**os.environ, "DATABASE_URL": BENCH_URL, "CELERY_BROKER_URL": broker, "LOG_LEVEL": "WARNING"}
    subprocess.run([str(Path(sys.executable).parent / "celery"), "-A", "marketplace", "purge", "-f"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    return subprocess.Popen([str(Path(sys.executable).parent / "celery"), "-A", "marketplace", "worker",
                             "--concurrency", "2", "-l", "warning"], cwd=ROOT, env=env)


def stop_server(server) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def gunicorn_settings() -> dict:
    import multiprocessing

    return {"workers": int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)),
            "threads": int(os.environ.get("GUNICORN_THREADS", "4")), "worker_class": "gthread"}


def timed(connection: HTTPConnection, method: str, path: str, body=None, headers=None) -> tuple[int, float, bytes]:
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    content = response.read()
    return response.status, (time.perf_counter() - started) * 1000, content


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"p50": round(probes.percentile(values, 0.50), 2), "p95": round(probes.percentile(values, 0.95), 2),
            "p99": round(probes.percentile(values, 0.99), 2), "max": round(max(values), 2),
            "mean": round(statistics.fmean(values), 2), "n": len(values)}


def machine() -> dict:
    from django.db import connection

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "postgresql": version, "load_average_at_start": os.getloadavg(), "probes": probes.measure(connection),
            "gunicorn": gunicorn_settings()}


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_report(name: str, report: dict, markdown: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {"benchmark": name, "run_at": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit(),
              **report}
    (RESULTS / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)
    print(markdown)
