"""Every migration can be undone: upgrade to head, down to nothing, up again, on a scratch database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from alembic import command

from core.settings import Settings
from migrations.runner import alembic_config


async def _admin(settings: Settings, statement: str) -> None:
    url = urlsplit(settings.database_dsn.replace("postgresql+asyncpg://", "postgresql://", 1))
    connection = await asyncpg.connect(urlunsplit(url._replace(path="/postgres")))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'"
        )
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


@pytest.fixture
def scratch_url(settings: Settings) -> Iterator[str]:
    name = f"smartcity_roundtrip_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(settings, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(settings.database_dsn)._replace(path=f"/{name}"))
    finally:
        asyncio.run(_admin(settings, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    config = alembic_config(scratch_url)
    command.upgrade(config, "head")
    at_head = asyncio.run(_tables(scratch_url))
    assert {"admin_units", "users", "alembic_version"} <= at_head
    command.downgrade(config, "base")
    assert asyncio.run(_tables(scratch_url)) == {"alembic_version"}
    command.upgrade(config, "head")
    assert asyncio.run(_tables(scratch_url)) == at_head
