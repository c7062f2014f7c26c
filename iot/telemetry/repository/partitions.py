"""The daily partitions of device_readings: made ahead of time and on demand, dropped whole for retention.

A partition covers one UTC day. The consumer makes the partition of any day it meets that does not exist
yet (a device whose clock is a little ahead, or the first reading after midnight), and the worker's upkeep
makes today's and the next days' ahead of time, so the ingest path rarely pays for DDL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from iot.telemetry.models import READINGS_PARTITION_PATTERN, READINGS_TABLE

_NAME = re.compile(READINGS_PARTITION_PATTERN)
# Days made ahead by the upkeep, beyond today.
DAYS_AHEAD = 2


def partition_name(day: date) -> str:
    return f"{READINGS_TABLE}_p{day:%Y%m%d}"


def day_of(name: str) -> date | None:
    """The day a partition covers, from its name; None for a table that is not one of ours."""
    if _NAME.match(name) is None:
        return None
    return datetime.strptime(name.rsplit("_p", 1)[1], "%Y%m%d").date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def create_statement(day: date) -> str:
    """DDL for one day's partition; safe to run when it exists (and when another process races to it)."""
    start = day_start(day).isoformat()
    end = day_start(day + timedelta(days=1)).isoformat()
    return (
        f"CREATE TABLE IF NOT EXISTS {partition_name(day)} PARTITION OF {READINGS_TABLE} "
        f"FOR VALUES FROM ('{start}') TO ('{end}')"
    )


# Two processes creating the same partition at once can both pass IF NOT EXISTS and one then fails; a
# transaction-scoped advisory lock on the table's name makes them take turns.
LOCK_STATEMENT = f"SELECT pg_advisory_xact_lock(hashtext('{READINGS_TABLE}:partitions'))"
LIST_STATEMENT = (
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'device_readings'::regclass"
)


async def existing_days(connection: AsyncConnection) -> set[date]:
    names = (await connection.execute(text(LIST_STATEMENT))).scalars()
    return {day for day in (day_of(name) for name in names) if day is not None}


async def ensure_days(connection: AsyncConnection, days: Iterable[date]) -> list[date]:
    """Make the partitions of `days` that are missing, in the caller's transaction; the days made."""
    wanted = set(days)
    if not wanted:
        return []
    missing = sorted(wanted - await existing_days(connection))
    if missing:
        await connection.execute(text(LOCK_STATEMENT))
        for day in missing:
            await connection.execute(text(create_statement(day)))
    return missing


def days_ahead(today: date) -> list[date]:
    return [today + timedelta(days=n) for n in range(DAYS_AHEAD + 1)]


async def drop_before(connection: AsyncConnection, cutoff: date) -> list[date]:
    """Detach and drop every partition of a day before `cutoff`; the days dropped."""
    old = sorted(day for day in await existing_days(connection) if day < cutoff)
    for day in old:
        name = partition_name(day)
        await connection.execute(text(f"ALTER TABLE {READINGS_TABLE} DETACH PARTITION {name}"))
        await connection.execute(text(f"DROP TABLE {name}"))
    return old
