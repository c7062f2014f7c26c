"""Programmatic Alembic: upgrade to head, and tell whether a database is at head."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from iot.telemetry.models import READINGS_PARTITION_PATTERN

MIGRATIONS_DIR = Path(__file__).resolve().parent


_PARTITION = re.compile(READINGS_PARTITION_PATTERN)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave out of autogenerate PostGIS's own tables and the daily partitions of the readings, which the
    application makes at run time; it would otherwise propose dropping them."""
    if type_ != "table" or name is None:
        return True
    return name != "spatial_ref_sys" and _PARTITION.match(name) is None


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The newest revisions the code knows; read once, since migrations do not change in a running process."""
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    return frozenset(script.get_heads())


async def current_revisions(connection: AsyncConnection) -> frozenset[str]:
    """The revisions the database is at (empty when it was never migrated)."""
    exists = await connection.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
    if not exists:
        return frozenset()
    rows = await connection.scalars(text("SELECT version_num FROM alembic_version"))
    return frozenset(rows)
