"""The SQL of who hears about alarms: units' alert settings (a ward's own row or its province's) and each
person's alert preferences."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.units.models import AdminUnit
from ioc.alarms.models import AlertPreferences, UnitAlertSettings


@dataclass(frozen=True, slots=True)
class SettingsRow:
    unit_code: str
    push_min_severity: str
    dispatch_min_severity: str
    reminder_seconds: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PreferencesRow:
    user_id: uuid.UUID
    alarm_types: list[str] | None
    min_severity: str
    quiet_start: time | None
    quiet_end: time | None


async def unit_and_parent(session: AsyncSession, unit_code: str) -> tuple[str, str | None] | None:
    """The unit's code and its parent's (None for a province); None when there is no such unit."""
    row = (
        await session.execute(
            select(col(AdminUnit.code), col(AdminUnit.parent_code)).where(col(AdminUnit.code) == unit_code)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def settings_rows(session: AsyncSession, unit_code: str) -> dict[str, SettingsRow]:
    """The rows of the unit and of its province, by unit code (either or both may be missing)."""
    parent = select(col(AdminUnit.parent_code)).where(col(AdminUnit.code) == unit_code).scalar_subquery()
    statement = select(UnitAlertSettings).where(
        or_(col(UnitAlertSettings.unit_code) == unit_code, col(UnitAlertSettings.unit_code) == parent)
    )
    rows = (await session.execute(statement)).scalars().all()
    return {
        row.unit_code: SettingsRow(
            unit_code=row.unit_code,
            push_min_severity=row.push_min_severity,
            dispatch_min_severity=row.dispatch_min_severity,
            reminder_seconds=dict(row.reminder_seconds or {}),
        )
        for row in rows
    }


async def save_settings(
    session: AsyncSession,
    unit_code: str,
    *,
    push_min_severity: str,
    dispatch_min_severity: str,
    reminder_seconds: Mapping[str, int],
) -> None:
    values = {
        "push_min_severity": push_min_severity,
        "dispatch_min_severity": dispatch_min_severity,
        "reminder_seconds": dict(reminder_seconds),
        "updated_at": func.now(),
    }
    statement = insert(UnitAlertSettings).values(unit_code=unit_code, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[col(UnitAlertSettings.unit_code)], set_=values)
    )


def _preferences(row: AlertPreferences) -> PreferencesRow:
    return PreferencesRow(
        user_id=row.user_id,
        alarm_types=None if row.alarm_types is None else list(row.alarm_types),
        min_severity=row.min_severity,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
    )


async def preferences_of(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, PreferencesRow]:
    """The preferences of those people who chose any, by user id (one query for a whole audience)."""
    if not user_ids:
        return {}
    statement = select(AlertPreferences).where(col(AlertPreferences.user_id).in_(list(user_ids)))
    rows = (await session.execute(statement)).scalars().all()
    return {row.user_id: _preferences(row) for row in rows}


async def save_preferences(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    alarm_types: list[str] | None,
    min_severity: str,
    quiet_start: time | None,
    quiet_end: time | None,
) -> None:
    values = {
        "alarm_types": alarm_types,
        "min_severity": min_severity,
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
        "updated_at": func.now(),
    }
    statement = insert(AlertPreferences).values(user_id=user_id, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[col(AlertPreferences.user_id)], set_=values)
    )
