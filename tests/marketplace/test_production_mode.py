"""MARKETPLACE_ENV=production refuses unsafe settings at start-up, and starts with safe ones."""
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from marketplace.env import env_bool, env_int, env_list

GOOD = {
    "MARKETPLACE_ENV": "production",
    "SECRET_KEY": "k3J9x-7Qw2Lm4Pz8Rt6Yv1Bn5Hc0Dg-Fs3Ae9Uo",
    "ALLOWED_HOSTS": "market.example.com",
}
SETUP = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_SECURE)"


def start(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "MARKETPLACE_ENV"}}
    clean.update(DJANGO_SETTINGS_MODULE="marketplace.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", SETUP], cwd=settings.BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def test_a_safe_production_configuration_starts_with_secure_cookies():
    result = start(**GOOD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),  # unset: the development key would be used
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be set"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name the hosts"),
    ],
)
def test_unsafe_production_settings_are_refused(override, message):
    env = {key: value for key, value in {**GOOD, **override}.items() if value is not None}
    result = start(**env)
    assert result.returncode != 0
    assert "Refusing to start in production mode" in result.stderr
    assert message in result.stderr


def test_every_problem_is_named_at_once():
    result = start(MARKETPLACE_ENV="production", DEBUG="true")
    assert result.returncode != 0
    for message in ("DEBUG must be off", "SECRET_KEY must be set", "ALLOWED_HOSTS must name the hosts"):
        assert message in result.stderr


def test_env_readers_refuse_values_they_cannot_read(monkeypatch):
    monkeypatch.setenv("X_FLAG", "perhaps")
    monkeypatch.setenv("X_NUMBER", "ten")
    monkeypatch.setenv("X_LIST", " a, ,b ,")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be a boolean"):
        env_bool("X_FLAG")
    with pytest.raises(ImproperlyConfigured, match="X_NUMBER must be an integer"):
        env_int("X_NUMBER", 1)
    assert env_list("X_LIST") == ["a", "b"]
    monkeypatch.setenv("X_FLAG", " Off ")
    assert env_bool("X_FLAG", default=True) is False
    monkeypatch.delenv("X_FLAG")
    assert env_bool("X_FLAG", default=True) is True
