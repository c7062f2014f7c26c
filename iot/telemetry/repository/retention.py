"""The SQL of retention: old rows deleted on their time index, and the lock timeout of detaching partitions.

The readings themselves go a whole day's partition at a time (repository.partitions.drop_before).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import DateTime

_TS = DateTime(timezone=True)
_DELETE_CAMERA_EVENTS = text("DELETE FROM device_camera_events WHERE ts < :cutoff").bindparams(
    bindparam("cutoff", type_=_TS)
)
_DELETE_ROLLUPS = text("DELETE FROM device_readings_hourly WHERE hour < :cutoff").bindparams(
    bindparam("cutoff", type_=_TS)
)
_DELETE_DEAD_LETTERS = text("DELETE FROM ingest_dead_letters WHERE received_at < :cutoff").bindparams(
    bindparam("cutoff", type_=_TS)
)


async def set_lock_timeout(connection: AsyncConnection, wait: str) -> None:
    """How long the transaction's statements wait for a lock, e.g. "1s"."""
    await connection.execute(text(f"SET LOCAL lock_timeout = '{wait}'"))


async def delete_camera_events_before(connection: AsyncConnection, cutoff: datetime) -> int:
    return int((await connection.execute(_DELETE_CAMERA_EVENTS, {"cutoff": cutoff})).rowcount or 0)


async def delete_rollups_before(connection: AsyncConnection, cutoff: datetime) -> int:
    return int((await connection.execute(_DELETE_ROLLUPS, {"cutoff": cutoff})).rowcount or 0)


async def delete_dead_letters_before(connection: AsyncConnection, cutoff: datetime) -> int:
    return int((await connection.execute(_DELETE_DEAD_LETTERS, {"cutoff": cutoff})).rowcount or 0)
