"""Retention and partitions ahead: the device task's upkeep.

Readings go a whole day's partition at a time (repository.partitions.drop_before): no DELETE, no vacuum
debt. The other tables are small by comparison and lose their old rows with a DELETE on their time index.
Each step runs in its own transaction (the caller commits between them), so a step that cannot take its lock
does not hold back the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from iot.telemetry.repository import partitions
from iot.telemetry.repository import retention as repository

# Detaching a partition locks the parent table, and inserts queue behind a waiting lock: wait this long at
# most behind the consumer's batches, and otherwise try again at the next upkeep.
PARTITION_LOCK_TIMEOUT = "1s"


@dataclass(slots=True)
class RetentionResult:
    partitions_made: list[date] = field(default_factory=list)
    partitions_dropped: list[date] = field(default_factory=list)
    camera_events_deleted: int = 0
    rollups_deleted: int = 0
    dead_letters_deleted: int = 0


def readings_cutoff_day(settings: Settings, now: datetime) -> date:
    """Partitions of days before this one are dropped: the partition holding the oldest kept moment stays."""
    return (now - timedelta(days=settings.iot_readings_retention_days)).date()


async def make_partitions_ahead(connection: AsyncConnection, now: datetime) -> list[date]:
    return await partitions.ensure_days(connection, partitions.days_ahead(now.date()))


async def drop_old_partitions(connection: AsyncConnection, settings: Settings, now: datetime) -> list[date]:
    await repository.set_lock_timeout(connection, PARTITION_LOCK_TIMEOUT)
    return await partitions.drop_before(connection, readings_cutoff_day(settings, now))


async def delete_old_rows(
    connection: AsyncConnection, settings: Settings, now: datetime, result: RetentionResult
) -> None:
    """Camera events live as long as readings; rollups and dead letters have their own retention."""
    readings_cutoff = now - timedelta(days=settings.iot_readings_retention_days)
    rollup_cutoff = now - timedelta(days=settings.iot_rollup_retention_days)
    dead_letter_cutoff = now - timedelta(days=settings.iot_dead_letter_retention_days)
    result.camera_events_deleted = await repository.delete_camera_events_before(connection, readings_cutoff)
    result.rollups_deleted = await repository.delete_rollups_before(connection, rollup_cutoff)
    result.dead_letters_deleted = await repository.delete_dead_letters_before(connection, dead_letter_cutoff)


async def apply_retention(
    connection: AsyncConnection, settings: Settings, now: datetime, result: RetentionResult | None = None
) -> RetentionResult:
    """Every step in the caller's transaction (tests; the device task runs them one transaction each)."""
    result = result or RetentionResult()
    result.partitions_made = await make_partitions_ahead(connection, now)
    result.partitions_dropped = await drop_old_partitions(connection, settings, now)
    await delete_old_rows(connection, settings, now, result)
    return result
