"""Settings: read from SMARTCITY_ variables and .env, and default secrets refused outside development."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from core.settings import DEV_SECRETS, Profile, Settings

PREFIX = str(Settings.model_config.get("env_prefix", ""))
WEAK_NAMES = (
    "SMARTCITY_SECRET_KEY",
    "SMARTCITY_MQTT_PASSWORD",
    "SMARTCITY_DATABASE_URL",
    "SMARTCITY_REDIS_URL",
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither the run's SMARTCITY_ variables nor a developer's .env may reach the Settings built here."""
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def strong() -> dict[str, Any]:
    return {
        "secret_key": secrets.token_urlsafe(32),
        "mqtt_password": secrets.token_hex(16),
        "database_url": f"postgresql+asyncpg://smartcity:{secrets.token_hex(16)}@db.internal:5432/smartcity",
        "redis_url": f"redis://:{secrets.token_hex(16)}@redis.internal:6379/0",
        "sms_sender": "http",
        "sms_gateway_url": "https://sms.example.vn/send",
    }


def test_prefix_is_smartcity() -> None:
    assert PREFIX == "SMARTCITY_"


def test_reads_prefixed_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTCITY_MQTT_PORT", "1999")
    monkeypatch.setenv("SMARTCITY_API_HOST", "0.0.0.0")
    monkeypatch.setenv("SMARTCITY_READY_TIMEOUT_SECONDS", "5")
    # Without the prefix a variable belongs to someone else (compose, the OS) and is not ours.
    monkeypatch.setenv("API_PORT", "1")
    settings = Settings(_env_file=None)
    assert settings.mqtt_port == 1999
    assert settings.api_host == "0.0.0.0"
    assert settings.ready_timeout_seconds == 5.0
    assert settings.api_port == 8000


def test_reads_a_dotenv_file_and_ignores_other_variables_in_it(tmp_path: Path) -> None:
    # The same .env feeds docker compose, so it holds variables that are not settings.
    env_file = tmp_path / "custom.env"
    env_file.write_text(
        "# comment\nSMARTCITY_LOG_LEVEL=DEBUG\nSMARTCITY_API_PORT=9001\nPOSTGRES_PASSWORD=not-ours\n"
    )
    settings = Settings(_env_file=env_file)
    assert settings.log_level == "DEBUG"
    assert settings.api_port == 9001


def test_reads_dotenv_from_the_working_directory_by_default(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SMARTCITY_MQTT_HOST=broker.example\n")
    assert Settings().mqtt_host == "broker.example"


def test_environment_wins_over_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("SMARTCITY_API_PORT=9001\n")
    monkeypatch.setenv("SMARTCITY_API_PORT", "9002")
    assert Settings(_env_file=env_file).api_port == 9002


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValidationError, match="profile"):
        Settings(_env_file=None, profile="staging")


@pytest.mark.parametrize("profile", [Profile.DEVELOPMENT, Profile.TEST])
def test_default_secrets_accepted_in_development_and_test(profile: Profile) -> None:
    settings = Settings(_env_file=None, profile=profile)
    assert settings.secret_key.get_secret_value() in DEV_SECRETS


def test_default_secrets_refused_in_production_with_a_clear_message() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, profile=Profile.PRODUCTION)
    message = str(refused.value)
    assert "default or weak secrets are not allowed in the production profile" in message
    for name in WEAK_NAMES:
        assert name in message


def test_production_profile_from_the_environment_refuses_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    # How a container meets it: SMARTCITY_PROFILE=production and a forgotten secret.
    monkeypatch.setenv("SMARTCITY_PROFILE", "production")
    with pytest.raises(ValidationError, match="SMARTCITY_SECRET_KEY"):
        Settings(_env_file=None)


def test_strong_secrets_accepted_in_production() -> None:
    settings = Settings(_env_file=None, profile=Profile.PRODUCTION, **strong())
    assert settings.profile is Profile.PRODUCTION


@pytest.mark.parametrize("length", [1, 16, 31])
def test_short_secret_key_refused_in_production(length: int) -> None:
    values = {**strong(), "secret_key": secrets.token_hex(32)[:length]}
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, profile=Profile.PRODUCTION, **values)
    message = str(refused.value)
    assert "SMARTCITY_SECRET_KEY" in message
    assert "SMARTCITY_MQTT_PASSWORD" not in message
    assert "SMARTCITY_DATABASE_URL" not in message


def test_secret_key_of_32_characters_accepted_in_production() -> None:
    Settings(_env_file=None, profile=Profile.PRODUCTION, **{**strong(), "secret_key": secrets.token_hex(16)})


@pytest.mark.parametrize("weak", sorted(DEV_SECRETS))
def test_every_development_secret_refused_in_production(weak: str) -> None:
    cases = {
        "SMARTCITY_SECRET_KEY": {"secret_key": weak},
        "SMARTCITY_MQTT_PASSWORD": {"mqtt_password": weak},
        "SMARTCITY_DATABASE_URL": {
            "database_url": f"postgresql+asyncpg://smartcity:{weak}@db:5432/smartcity"
        },
        "SMARTCITY_REDIS_URL": {"redis_url": f"redis://:{weak}@redis:6379/0"},
    }
    for name, override in cases.items():
        with pytest.raises(ValidationError, match=name):
            Settings(_env_file=None, profile=Profile.PRODUCTION, **{**strong(), **override})


@pytest.mark.parametrize(
    ("field", "url", "name"),
    [
        ("database_url", "postgresql+asyncpg://smartcity@db:5432/smartcity", "SMARTCITY_DATABASE_URL"),
        ("redis_url", "redis://redis:6379/0", "SMARTCITY_REDIS_URL"),
        ("redis_url", "redis://:short@redis:6379/0", "SMARTCITY_REDIS_URL"),
    ],
)
def test_url_without_a_strong_password_refused_in_production(field: str, url: str, name: str) -> None:
    values = {**strong(), field: url}
    with pytest.raises(ValidationError, match=name):
        Settings(_env_file=None, profile=Profile.PRODUCTION, **values)


def test_secrets_do_not_show_in_repr() -> None:
    values = strong()
    text = repr(Settings(_env_file=None, profile=Profile.PRODUCTION, **values))
    assert values["secret_key"] not in text
    assert values["mqtt_password"] not in text


def test_refusal_message_does_not_echo_the_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    # The message goes to the start-up log; a short (refused) key is still a real secret someone typed.
    typed = secrets.token_hex(8)
    monkeypatch.setenv("SMARTCITY_PROFILE", "production")
    monkeypatch.setenv("SMARTCITY_SECRET_KEY", typed)
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)
    assert typed not in str(refused.value)


def test_http_sms_sender_needs_a_gateway_url() -> None:
    with pytest.raises(ValidationError, match="SMARTCITY_SMS_GATEWAY_URL"):
        Settings(_env_file=None, sms_sender="http")
    configured = Settings(_env_file=None, sms_sender="http", sms_gateway_url="https://sms.example.vn/send")
    assert configured.sms_gateway_url == "https://sms.example.vn/send"


def test_production_refuses_the_outbox_sender() -> None:
    # Without a gateway no citizen gets a code, and the codes would sit in a table.
    with pytest.raises(ValidationError, match="SMARTCITY_SMS_SENDER"):
        Settings(_env_file=None, profile=Profile.PRODUCTION, **{**strong(), "sms_sender": "outbox"})


def test_production_takes_the_outbox_sender_only_when_a_demo_allows_it() -> None:
    values = {**strong(), "sms_sender": "outbox", "sms_outbox_demo": True}
    assert Settings(_env_file=None, profile=Profile.PRODUCTION, **values).sms_sender == "outbox"
