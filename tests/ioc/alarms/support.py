"""Helpers of the alarm tests: a change recorded as the rules record it, officers' phones, their pushes."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.push import service as push_service
from core.push.models import Platform, PushLanguage
from core.push.repository import notifications
from core.settings import Settings
from ioc.alarms import events, journal
from ioc.alarms.models import Alarm
from ioc.alarms.reaction import alert_officers
from ioc.alarms.reactions import react_once
from ioc.alarms.repository.journal import facts_of
from ioc.alarms.repository.settings import save_settings
from ioc.install import install
from ioc.types import Severity
from tests.support.push import fcm_token


async def record(session: AsyncSession, alarm: Alarm, kind: str = journal.RAISED) -> int:
    """A raised entry (or another kind) of the alarm as it stands, with its event, as the rules write it."""
    facts = await facts_of(session, alarm.id)
    assert facts is not None
    event_type = events.RAISED if kind == journal.RAISED else events.UPDATED
    return await journal.record(session, facts, kind=kind, event_type=event_type)


async def escalate(session: AsyncSession, alarm: Alarm, severity: Severity) -> int:
    """The alarm's severity changed to `severity`, with its entry."""
    before = await facts_of(session, alarm.id)
    assert before is not None
    await session.execute(
        text("UPDATE alarms SET severity = :s WHERE id = :id"), {"s": severity.value, "id": alarm.id}
    )
    after = dataclasses.replace(before, severity=severity.value)
    return await journal.record(
        session,
        after,
        kind=journal.SEVERITY_CHANGED,
        event_type=events.UPDATED,
        change={"severity_from": before.severity},
    )


async def phone(session: AsyncSession, user_id: uuid.UUID, language: PushLanguage = PushLanguage.VI) -> str:
    token = fcm_token(f"officer-{user_id.hex[:6]}")
    await push_service.register_device(
        session,
        user_id,
        f"phone-{user_id.hex[:6]}",
        token=token,
        platform=Platform.ANDROID,
        language=language,
    )
    return token


async def pushes_to(session: AsyncSession, user_id: uuid.UUID) -> list[Any]:
    """The notifications queued for a user, oldest first."""
    query = (
        select(notifications)
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.created_at, notifications.c.title_en)
    )
    return list((await session.execute(query)).all())


async def remind_at(session: AsyncSession, alarm_id: uuid.UUID) -> Any:
    return await session.scalar(text("SELECT remind_at FROM alarms WHERE id = :id"), {"id": alarm_id})


async def entries(session: AsyncSession, alarm_id: uuid.UUID) -> list[Any]:
    query = text("SELECT id, kind, detail, reacted_at FROM alarm_timeline WHERE alarm_id = :id ORDER BY id")
    return list((await session.execute(query, {"id": alarm_id})).all())


async def react(session: AsyncSession, settings: Settings) -> int:
    """What the alerts task does with the pending entries, in the test's transaction, with the officers'
    reaction alone (dispatch and incidents have tests of their own)."""
    install()
    return await react_once(session, settings, only=[alert_officers])


async def reminders_to(session: AsyncSession, user_id: uuid.UUID) -> list[Any]:
    return [push for push in await pushes_to(session, user_id) if push.data["reason"] == "reminder"]


async def unit_settings(
    session: AsyncSession, unit_code: str, *, push_from: str, reminders: dict[str, int] | None = None
) -> None:
    """The unit's own alert settings, written as the settings route would."""
    await save_settings(
        session,
        unit_code,
        push_min_severity=push_from,
        dispatch_min_severity="critical",
        reminder_seconds=reminders or {},
    )
