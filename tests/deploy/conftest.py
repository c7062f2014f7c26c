"""Fixtures for the production stack's checks."""

from __future__ import annotations

import os
import secrets

import pytest
import yaml

from tests.deploy.files import (
    COMPOSE_FILE,
    PREFIX,
    Compose,
    Services,
    interpolate_tree,
    required_variables,
)

# --- Fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> Compose:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def strong_env(raw: Compose) -> dict[str, str]:
    """A value for every required variable, strong enough for the production profile and URL-safe."""
    return {name: secrets.token_hex(24) for name in required_variables(raw)}


@pytest.fixture(scope="module")
def compose(raw: Compose, strong_env: dict[str, str]) -> Compose:
    resolved = interpolate_tree(raw, strong_env)
    assert isinstance(resolved, dict)
    return resolved


@pytest.fixture(scope="module")
def services(compose: Compose) -> Services:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No SMARTCITY_ variable of the test run leaks into a Settings built here."""
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    return monkeypatch
