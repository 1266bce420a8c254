"""How fast the machine is at the moment of a run, so that reports from different machines can
be read side by side (these VMs vary by about 2x from one to the next).

Two probes: a fixed pure-Python loop (best of five), and the database round trip (`SELECT 1`,
each after a 2 ms pause, as a lone request meets it: an idle vCPU is slow to wake).
"""
import time


def percentile(values: list[float], share: float) -> float:
    """The value at this share (0 to 1) of the sorted values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def measure(connection) -> dict:
    loops = []
    for _ in range(5):
        started = time.perf_counter()
        sum(i * i for i in range(200_000))
        loops.append((time.perf_counter() - started) * 1000)
    trips = []
    with connection.cursor() as cursor:
        for _ in range(200):
            time.sleep(0.002)
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            trips.append((time.perf_counter() - started) * 1000)
    return {"python_loop_ms": round(min(loops), 2), "database": connection.vendor,
            "select_1_ms": {"p50": round(percentile(trips, 0.5), 3), "p95": round(percentile(trips, 0.95), 3)}}


def describe(machine: dict) -> str:
    """A report's probes in words; '-' for reports written before there were probes."""
    found = machine.get("probes")
    if not found:
        return "-"
    trip = found["select_1_ms"]
    return (f"Python loop {found['python_loop_ms']} ms; {found['database']} SELECT 1 p50 {trip['p50']} ms, "
            f"p95 {trip['p95']} ms")
