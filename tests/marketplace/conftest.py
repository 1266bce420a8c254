import pytest


@pytest.fixture(autouse=True)
def _patient_health_probes(settings):
    """Probes take milliseconds, but a machine busy with parallel suites may take seconds to start
    a thread or open a connection: /healthz must not read that as an outage here. The test of the
    timeout itself sets its own."""
    settings.HEALTH_PROBE_TIMEOUT = 10
