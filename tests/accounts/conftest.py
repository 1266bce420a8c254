"""Fixtures of the accounts tests."""
import pytest
from rest_framework.settings import api_settings


@pytest.fixture
def rates(settings):
    """rates(login="2/min", ...) overrides throttle rates for this test; DRF re-reads its settings."""

    def override(**overrides):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **overrides},
        }
        for scope, rate in overrides.items():
            assert api_settings.DEFAULT_THROTTLE_RATES[scope] == rate

    return override
