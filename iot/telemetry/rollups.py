"""Hourly rollups of device readings: count, sum, min and max per device, metric and hour.

Each closed hour is rolled up twice, never more: once as soon as it closes, and a final time once it leaves
the window the history API reads raw (the current hour and the RECOMPUTED_CLOSED_HOURS before it), so a late
reading (a device that buffered while offline, a consumer catching up) is absorbed by the final pass. Every
pass recomputes the whole hour from the raw readings and overwrites it, so a repeated pass changes nothing.
Recomputing the recent hours on every run instead would cost, at thousands of readings a second, more than
the ingestion itself. The passes made are kept in device_rollup_hours; after an outage the job catches up
on at most CATCH_UP_HOURS. The SQL is in iot.telemetry.repository.rollups.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from iot.telemetry.repository import rollups as repository

RECOMPUTED_CLOSED_HOURS = 2
CATCH_UP_HOURS = 24
HOUR = timedelta(hours=1)
FINAL_PASS = 2


def hour_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def live_window_start(now: datetime) -> datetime:
    """The first hour the rollup still recomputes: readings from here on are read raw by the history."""
    return hour_start(now) - RECOMPUTED_CLOSED_HOURS * HOUR


def due_hours(now: datetime, passes: dict[datetime, int]) -> list[tuple[datetime, int]]:
    """The closed hours to roll up at `now`, each with the pass it will have made."""
    current = hour_start(now)
    live = live_window_start(now)
    due: list[tuple[datetime, int]] = []
    for back in range(CATCH_UP_HOURS, 0, -1):
        hour = current - back * HOUR
        made = passes.get(hour, 0)
        if hour < live and made < FINAL_PASS:
            due.append((hour, FINAL_PASS))
        elif made == 0:
            due.append((hour, 1))
    return due


async def roll_up(connection: AsyncConnection, now: datetime) -> int:
    """Roll up the closed hours due at `now`, in the caller's transaction; the hourly rows written."""
    current = hour_start(now)
    made = await repository.passes_made(connection, current - CATCH_UP_HOURS * HOUR, current)
    written = 0
    for hour, passes in due_hours(now, made):
        written += await repository.roll_up_hours(connection, hour, hour + HOUR)
        await repository.record_pass(connection, hour, passes)
    return written
