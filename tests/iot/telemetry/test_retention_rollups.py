"""Upkeep of the telemetry tables: partitions made ahead and dropped whole, old rows deleted, and the
hourly rollup recomputed idempotently so late readings are absorbed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from iot.telemetry import retention, rollups
from iot.telemetry.repository import partitions
from iot.telemetry.tasks import upkeep
from tests.iot.telemetry.support import add_dead_letter, add_device, add_readings, count

pytestmark = pytest.mark.usefixtures("units")

# Far from today, so that partitions the worker may have made for the real today never interfere.
NOW = datetime(2031, 6, 15, 10, 20, tzinfo=UTC)


Hourly = tuple[str, str, int, float, float, float]


async def _hourly(session: AsyncSession, device_id: object) -> list[Hourly]:
    rows = (
        await session.execute(
            text(
                "SELECT metric, hour, n, sum, min, max FROM device_readings_hourly WHERE device_id = :d "
                "ORDER BY hour, metric"
            ),
            {"d": device_id},
        )
    ).all()
    return [(row.metric, row.hour.strftime("%H:%M"), row.n, row.sum, row.min, row.max) for row in rows]


async def test_partitions_ahead_and_old_ones_dropped(session: AsyncSession, settings: Settings) -> None:
    connection = await session.connection()
    keep_day = (NOW - timedelta(days=settings.iot_readings_retention_days)).date()
    old_days = [keep_day - timedelta(days=2), keep_day - timedelta(days=1)]
    await partitions.ensure_days(connection, [*old_days, keep_day])
    device = await add_device(session)
    await add_readings(
        session,
        device.id,
        [
            (partitions.day_start(old_days[0]) + timedelta(hours=1), {"pm25": 1}),
            (partitions.day_start(keep_day) + timedelta(hours=1), {"pm25": 2}),
        ],
    )
    result = await retention.apply_retention(connection, settings, NOW)
    days = await partitions.existing_days(connection)
    assert result.partitions_made == [NOW.date() + timedelta(days=n) for n in range(3)]
    assert set(result.partitions_dropped) >= set(old_days)
    assert days >= {NOW.date(), NOW.date() + timedelta(days=1), NOW.date() + timedelta(days=2), keep_day}
    assert not any(day < keep_day for day in days)
    remaining = (
        (
            await session.execute(
                text("SELECT metrics->>'pm25' FROM device_readings WHERE device_id = :d"), {"d": device.id}
            )
        )
        .scalars()
        .all()
    )
    assert remaining == ["2"]
    # Running again changes nothing.
    again = await retention.apply_retention(connection, settings, NOW)
    assert again.partitions_made == []
    assert again.partitions_dropped == []


async def test_old_rows_of_the_other_tables_are_deleted(session: AsyncSession, settings: Settings) -> None:
    device = await add_device(session, device_type="camera_traffic")
    readings_edge = NOW - timedelta(days=settings.iot_readings_retention_days)
    for seq, ts in enumerate([readings_edge - timedelta(minutes=1), readings_edge + timedelta(minutes=1)]):
        await session.execute(
            text(
                "INSERT INTO device_camera_events (device_id, ts, seq, type, confidence, location) "
                "VALUES (:d, :ts, :seq, 'speeding', 0.5, ST_SetSRID(ST_MakePoint(106.17, 20.43), 4326))"
            ),
            {"d": device.id, "ts": ts, "seq": seq},
        )
    rollup_edge = NOW - timedelta(days=settings.iot_rollup_retention_days)
    for hour in (rollup_edge - timedelta(hours=1), rollup_edge + timedelta(hours=1)):
        await session.execute(
            text(
                "INSERT INTO device_readings_hourly (device_id, metric, hour, n, sum, min, max) "
                "VALUES (:d, 'pm25', :h, 1, 1, 1, 1)"
            ),
            {"d": device.id, "h": hour},
        )
    dead_edge = NOW - timedelta(days=settings.iot_dead_letter_retention_days)
    await add_dead_letter(session, received_at=dead_edge - timedelta(seconds=1))
    kept_letter = await add_dead_letter(session, received_at=dead_edge + timedelta(seconds=1))
    before = {
        table: await count(session, table)
        for table in ("device_camera_events", "device_readings_hourly", "ingest_dead_letters")
    }
    result = retention.RetentionResult()
    await retention.delete_old_rows(await session.connection(), settings, NOW, result)
    assert (result.camera_events_deleted, result.rollups_deleted, result.dead_letters_deleted) == (1, 1, 1)
    assert {table: await count(session, table) for table in before} == {t: n - 1 for t, n in before.items()}
    kept = (await session.execute(text("SELECT id FROM ingest_dead_letters"))).scalars().all()
    assert kept_letter in kept


async def test_rollup_counts_numbers_only_and_absorbs_late_readings(session: AsyncSession) -> None:
    device = await add_device(session)
    hour = rollups.hour_start(NOW)
    await add_readings(
        session,
        device.id,
        [
            (hour - timedelta(minutes=50), {"pm25": 10, "pm10": 1, "note": "x"}),
            (hour - timedelta(minutes=10), {"pm25": 30}),
            (
                hour + timedelta(minutes=5),
                {"pm25": 5, "flag": True},
            ),  # the current hour: read raw, not rolled up
            (hour - timedelta(hours=4), {"pm25": 1000}),  # an hour the job has never seen: caught up
        ],
    )
    connection = await session.connection()
    await rollups.roll_up(connection, NOW)
    assert await _hourly(session, device.id) == [
        ("pm25", "06:00", 1, 1000.0, 1000.0, 1000.0),
        ("pm10", "09:00", 1, 1.0, 1.0, 1.0),
        ("pm25", "09:00", 2, 40.0, 10.0, 30.0),
    ]
    # Idempotent: the same run again has nothing due and writes nothing.
    assert await rollups.roll_up(connection, NOW) == 0
    assert len(await _hourly(session, device.id)) == 3
    # A late reading of the previous hour is absorbed by its final pass, made once the hour leaves the window
    # the history reads raw; until then the first pass stands and no run recomputes it.
    await add_readings(session, device.id, [(hour - timedelta(minutes=1), {"pm25": 2})], first_seq=100)
    assert await rollups.roll_up(connection, NOW + timedelta(minutes=1)) == 0
    await rollups.roll_up(connection, NOW + timedelta(hours=2))
    assert ("pm25", "09:00", 3, 42.0, 2.0, 30.0) in await _hourly(session, device.id)
    rows = (await session.execute(text("SELECT hour, passes FROM device_rollup_hours"))).all()
    passes = {row.hour: row.passes for row in rows}
    assert passes[hour - timedelta(hours=1)] == rollups.FINAL_PASS


def test_each_closed_hour_is_due_twice_at_most() -> None:
    now = NOW
    current = rollups.hour_start(now)
    first = rollups.due_hours(now, {})
    assert len(first) == rollups.CATCH_UP_HOURS
    assert (current - rollups.HOUR, 1) in first
    assert (current - 3 * rollups.HOUR, rollups.FINAL_PASS) in first
    done = {hour: passes for hour, passes in first}
    assert rollups.due_hours(now, done) == []
    # An hour later: the hour that just closed gets its first pass, the one leaving the raw window its last.
    later = rollups.due_hours(now + rollups.HOUR, done)
    assert later == [(current - 2 * rollups.HOUR, rollups.FINAL_PASS), (current, 1)]


async def test_upkeep_runs_every_step_in_its_own_transaction(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    device = await add_device(session)
    await add_readings(session, device.id, [(NOW - timedelta(minutes=25), {"pm25": 7})])
    expired = NOW - timedelta(days=settings.iot_dead_letter_retention_days + 1)
    await add_dead_letter(session, received_at=expired)
    await session.commit()  # a savepoint of the test's transaction: visible to the task's sessions
    await upkeep(sessionmaker, settings, NOW)
    assert await count(session, "ingest_dead_letters") == 0
    assert ("pm25", "09:00", 1, 7.0, 7.0, 7.0) in await _hourly(session, device.id)
    days = await partitions.existing_days(await session.connection())
    assert {NOW.date() + timedelta(days=n) for n in range(3)} <= days


def test_cutoff_day_keeps_the_partition_of_the_oldest_kept_moment(settings: Settings) -> None:
    now = datetime(2031, 6, 15, 0, 30, tzinfo=UTC)
    cutoff = retention.readings_cutoff_day(settings, now)
    assert cutoff == date(2031, 6, 15) - timedelta(days=settings.iot_readings_retention_days)
