"""Helpers of the evaluation tests: the batch hook and the tick run on the test session's own connection
(inside its rolled-back transaction), and what they wrote read back."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import raw_connection
from core.identity.models import User
from core.identity.principal import Role
from ioc.alarms.repository import stamps
from ioc.rules.catalogue import Catalogue
from ioc.rules.evaluation import RuleHook
from ioc.rules.models import AlertRuleVersion
from ioc.rules.tasks import tick_once
from iot.ingest.hooks import StoredBatch, StoredDetection, StoredReading
from iot.registry.models import Device
from tests.ioc.rules.engine_support import at
from tests.support.alarms import make_device, make_rule


async def an_admin(session: AsyncSession) -> uuid.UUID:
    user = User(
        id=uuid.uuid4(), role=Role.ADMIN, display_name="Quản trị", username=f"admin-{uuid.uuid4().hex[:8]}"
    )
    session.add(user)
    await session.flush()
    return user.id


async def rule_and_device(
    session: AsyncSession, definition: dict[str, Any] | None = None, **device: Any
) -> tuple[AlertRuleVersion, Device]:
    """A rule (the flood rule unless told otherwise) by a new admin, and a device (a water-level sensor in
    ward 13666 unless told otherwise)."""
    version = await make_rule(session, await an_admin(session), definition)
    return version, await make_device(session, **device)


def a_hook() -> RuleHook:
    # Looks at the tables on every batch: the tests change rules between batches.
    return RuleHook(Catalogue(refresh_seconds=0))


def reading(device_id: uuid.UUID, seconds: float, seq: int | None = None, **metrics: float) -> StoredReading:
    return StoredReading(device_id, at(seconds), seq if seq is not None else int(seconds), metrics)


def detection(
    device_id: uuid.UUID, seconds: float, kind: str = "fire", confidence: float = 0.9
) -> StoredDetection:
    return StoredDetection(device_id, at(seconds), int(seconds), kind, confidence, None)


async def run(
    session: AsyncSession,
    hook: RuleHook,
    readings: list[StoredReading] | None = None,
    detections: list[StoredDetection] | None = None,
) -> None:
    await session.flush()
    connection = await raw_connection(session)
    # What the consumer's writer does before the hook: the devices' latest value of each metric.
    for stored in readings or []:
        await connection.execute(
            "INSERT INTO device_state (device_id, metrics) VALUES ($1, $2::jsonb) ON CONFLICT (device_id) "
            "DO UPDATE SET metrics = device_state.metrics || excluded.metrics",
            stored.device_id,
            json.dumps(stored.metrics),
        )
    after = await hook(connection, StoredBatch(readings or [], detections or []))
    # The test's transaction stands for the batch's committed one: the hook keeps what it wrote from here.
    if after is not None:
        after()


async def tick(session: AsyncSession, now: datetime, catalogue: Catalogue | None = None) -> int:
    await session.flush()
    return await tick_once(session, catalogue or Catalogue(0, devices=False), now, 1000)


async def rows(session: AsyncSession, sql: str, **params: Any) -> list[Any]:
    return list((await session.execute(text(sql), params)).all())


async def alarms(session: AsyncSession, rule_id: uuid.UUID) -> list[Any]:
    return await rows(
        session,
        "SELECT id, severity, status, count, unit_code, source_key, device_id, title_vi, title_en, details, "
        "raised_at, last_seen_at, cleared_at, clear_reason, ST_X(location) AS lon, ST_Y(location) AS lat "
        "FROM alarms WHERE rule_id = :rule ORDER BY raised_at, id",
        rule=rule_id,
    )


async def entries(session: AsyncSession, alarm_id: uuid.UUID) -> list[Any]:
    return await rows(
        session,
        "SELECT kind, at, severity, status, detail, reacted_at FROM alarm_timeline "
        "WHERE alarm_id = :id ORDER BY id",
        id=alarm_id,
    )


async def timeline(session: AsyncSession, alarm_id: uuid.UUID) -> list[str]:
    return [entry.kind for entry in await entries(session, alarm_id)]


async def events(session: AsyncSession, alarm_id: uuid.UUID) -> list[Any]:
    return await rows(
        session,
        "SELECT type, unit_code, data, ST_X(location) AS lon, ST_Y(location) AS lat FROM event_outbox "
        "WHERE subject_id = :id ORDER BY id",
        id=str(alarm_id),
    )


async def state_of(session: AsyncSession, rule_id: uuid.UUID, source_key: str) -> Any:
    found = await rows(
        session,
        "SELECT * FROM alert_rule_states WHERE rule_id = :rule AND source_key = :key",
        rule=rule_id,
        key=source_key,
    )
    return found[0] if found else None


async def clear_by_hand(session: AsyncSession, alarm_id: uuid.UUID) -> None:
    """What an officer's clear does (the alarms routes do it through their service): the device's stamp
    bumped, then the row."""
    await stamps.touch_source(session, alarm_id)
    await session.execute(
        text(
            "UPDATE alarms SET status = 'cleared_unacknowledged', cleared_at = now(), "
            "clear_reason = 'officer' WHERE id = :id"
        ),
        {"id": alarm_id},
    )
