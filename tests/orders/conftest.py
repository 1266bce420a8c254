"""Fixtures for the orders tests: Stripe answered from recorded JSON, or by stripe-mock, and Stripe
events signed with the real scheme and a test secret.

`stripe_mock` needs stripe-mock (Stripe's official mock server, `scripts/services stripe-mock`) at
STRIPE_API_BASE: without it the test is skipped with the reason; PAYMENTS_REQUIRE_STRIPE_MOCK=1
(CI) turns that skip into a failure.
"""
import os
import urllib.error
import urllib.request

import pytest

from orders.gateways import recorded
from orders.gateways import stripe as stripe_gateway
from tests.factories import UserFactory

WEBHOOK_SECRET = "whsec_orders_test_secret"
WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"


@pytest.fixture(autouse=True)
def _fresh_stripe_client():
    stripe_gateway._client.cache_clear()
    yield
    stripe_gateway._client.cache_clear()


@pytest.fixture
def recorded_stripe(settings, monkeypatch) -> recorded.RecordedStripe:
    """Stripe configured, its HTTP layer answering with recorded Stripe-shaped JSON (and keeping
    every request we send, to assert on)."""
    settings.STRIPE_SECRET_KEY = "sk_test_orders"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = ""
    client = recorded.RecordedStripe().answer_stripe_objects()
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", client)
    return client


def _stripe_mock_problem(base: str) -> str | None:
    if not base:
        return "STRIPE_API_BASE is not set: start stripe-mock (bash scripts/services stripe-mock) and export it"
    request = urllib.request.Request(f"{base.rstrip('/')}/v1/balance",
                                     headers={"Authorization": "Bearer sk_test_123"})
    try:
        with urllib.request.urlopen(request, timeout=3):
            return None
    except urllib.error.HTTPError:
        return None  # it answered
    except OSError as exc:
        return f"stripe-mock does not answer at {base}: {exc}"


@pytest.fixture
def stripe_mock(settings, monkeypatch):
    """Stripe configured against stripe-mock, which validates every request against Stripe's API."""
    base = os.environ.get("STRIPE_API_BASE") or settings.STRIPE_API_BASE
    problem = _stripe_mock_problem(base)
    if problem:
        if os.environ.get("PAYMENTS_REQUIRE_STRIPE_MOCK") == "1":
            pytest.fail(f"PAYMENTS_REQUIRE_STRIPE_MOCK=1 but: {problem}")
        pytest.skip(problem)
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = base
    monkeypatch.setattr(stripe_gateway, "HTTP_CLIENT", None)
    return base


@pytest.fixture
def stripe_events(settings):
    """Webhooks configured (the secret) without a Stripe key: events only."""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


@pytest.fixture
def deliver(api, django_capture_on_commit_callbacks):
    """deliver(event) -> the webhook endpoint's response to that event, signed like Stripe signs; what
    the endpoint queues after commit (processing the event) runs before it returns."""

    def send(event, *, secret=WEBHOOK_SECRET, timestamp=None, header=None):
        body, signature = recorded.signed(event, secret, timestamp=timestamp)
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(WEBHOOK_PATH, data=body, content_type="application/json",
                            HTTP_STRIPE_SIGNATURE=header if header is not None else signature)

    return send


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """with after_commit(): ... runs what the block queued for after its commit (tasks, mails)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def buyer(db):
    return UserFactory(display_name="买家")
