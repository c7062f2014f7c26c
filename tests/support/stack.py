"""Settings and database set-up for the test run: a fresh database migrated once, on the local stack."""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from core.settings import Profile, Settings
from migrations.runner import upgrade


def test_settings() -> Settings:
    """The local stack's settings, pointed at a separate database and Redis database for tests.

    SMARTCITY_TEST_DATABASE and SMARTCITY_TEST_REDIS_DB let two runs share one stack without meeting.
    """
    base = Settings()
    db = urlsplit(base.database_dsn)
    name = os.environ.get("SMARTCITY_TEST_DATABASE") or f"{db.path.strip('/')}_test"
    test_db = db._replace(path=f"/{name}")
    redis = urlsplit(base.redis_dsn)._replace(path=f"/{int(os.environ.get('SMARTCITY_TEST_REDIS_DB', '15'))}")
    return base.model_copy(
        update={
            "profile": Profile.TEST,
            "database_url": type(base.database_url)(urlunsplit(test_db)),
            "redis_url": type(base.redis_url)(urlunsplit(redis)),
            "log_level": "WARNING",
        }
    )


def _asyncpg_dsn(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _recreate(settings: Settings) -> None:
    url = urlsplit(settings.database_dsn)
    name = url.path.lstrip("/")
    admin_dsn = _asyncpg_dsn(urlunsplit(url._replace(path="/postgres")))
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def prepare_database(settings: Settings) -> None:
    """Drop and recreate the test database, then run every Alembic migration on it."""
    asyncio.run(_recreate(settings))
    upgrade(settings.database_dsn)
