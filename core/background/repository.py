"""All SQL of background jobs: the session-level advisory lock that keeps one instance active."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def try_advisory_lock(connection: AsyncConnection, key: int) -> bool:
    """Take the session-level lock `key` on this connection if no other session holds it; never waits.

    The transaction is committed either way, so the connection holds the lock and nothing else."""
    locked = bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
    await connection.commit()
    return locked


async def keep_alive(connection: AsyncConnection) -> None:
    """A round trip on the lock's connection: raises when it is gone (and the lock with it)."""
    await connection.scalar(text("SELECT 1"))
    await connection.commit()
