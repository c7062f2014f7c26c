"""`smartcity create-admin` bootstraps the first admin: run as a real process against the test database,
then the rows it committed are removed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from core.identity.passwords import verify_password
from core.settings import Settings

SMARTCITY = Path(sys.executable).parent / "smartcity"
PASSWORD = "a long admin passphrase"


def _dsn(settings: Settings) -> str:
    return settings.database_dsn.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _fetch(settings: Settings, username: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_dsn(settings))
    try:
        return list(
            await connection.fetch(
                "SELECT role::text AS role, unit_code, password_hash, display_name FROM users "
                "WHERE username = $1",
                username,
            )
        )
    finally:
        await connection.close()


async def _delete(settings: Settings, username: str) -> None:
    connection = await asyncpg.connect(_dsn(settings))
    try:
        await connection.execute("DELETE FROM users WHERE username = $1", username)
    finally:
        await connection.close()


@pytest.fixture
def username(migrated: Settings) -> Iterator[str]:
    name = f"admin-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        asyncio.run(_delete(migrated, name))


def run(settings: Settings, *arguments: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SMARTCITY_DATABASE_URL": settings.database_dsn, "SMARTCITY_PROFILE": "test"}
    return subprocess.run(
        [str(SMARTCITY), "create-admin", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_create_admin_creates_an_admin_with_a_hashed_password(migrated: Settings, username: str) -> None:
    result = run(
        migrated,
        "--username",
        username,
        "--display-name",
        "Quản trị",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )

    assert result.returncode == 0, result.stderr
    assert f"admin {username} created" in result.stdout
    [user] = asyncio.run(_fetch(migrated, username))
    assert (user["role"], user["unit_code"], user["display_name"]) == ("admin", None, "Quản trị")
    assert user["password_hash"].startswith("$argon2id$")
    assert asyncio.run(verify_password(user["password_hash"], PASSWORD)).ok


def test_create_admin_refuses_an_existing_username(migrated: Settings, username: str) -> None:
    assert run(migrated, "--username", username, "--password-stdin", stdin=PASSWORD).returncode == 0

    again = run(migrated, "--username", username.upper(), "--password-stdin", stdin="another passphrase!")

    assert again.returncode == 1
    assert "already taken" in again.stderr
    [user] = asyncio.run(_fetch(migrated, username))
    assert asyncio.run(verify_password(user["password_hash"], PASSWORD)).ok


@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (("--password-stdin",), "short\n", "12 to 256 characters"),
        (("--password-stdin",), "\n", "12 to 256 characters"),
        (("--password", PASSWORD), "", "No such option"),
    ],
)
def test_create_admin_refuses_bad_input_and_creates_nothing(
    migrated: Settings, username: str, arguments: tuple[str, ...], stdin: str, message: str
) -> None:
    result = run(migrated, "--username", username, *arguments, stdin=stdin)

    assert result.returncode == 2
    assert message in result.stderr
    assert asyncio.run(_fetch(migrated, username)) == []


def test_create_admin_refuses_an_invalid_username(migrated: Settings) -> None:
    result = run(migrated, "--username", "has space", "--password-stdin", stdin=PASSWORD)
    assert result.returncode == 2
    assert "invalid username" in result.stderr
    assert asyncio.run(_fetch(migrated, "has space")) == []


def test_the_password_is_prompted_for_without_echo(migrated: Settings, username: str) -> None:
    # Without --password-stdin the command prompts twice (hidden input, then confirmation).
    result = run(migrated, "--username", username, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout
    assert len(asyncio.run(_fetch(migrated, username))) == 1
