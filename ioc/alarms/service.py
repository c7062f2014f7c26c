"""Officers working an alarm: acknowledge, clear, assign, comment.

Each action locks the alarm's row, checks that the caller's units cover it (another unit's alarm is not
found: its existence is not told), checks the move, changes the row and records the change through
ioc.alarms.journal (timeline entry, live event, reaction queue) in the caller's transaction. What the
product promises:

- officers and admins act on every alarm of their units; field staff read them, and comment only on the
  alarms assigned to them (403 otherwise);
- acknowledging stops the reminders; a cleared alarm may still be acknowledged (cleared_unacknowledged to
  cleared_acknowledged), an acknowledged one not again (409 already_acknowledged);
- clearing by hand ends the alarm whatever its rule thinks (409 already_cleared when it already ended); the
  rule engine sees that its alarm is no longer active and starts afresh;
- an alarm is assigned to an officer or field staff member whose units cover it (422 invalid_assignee).
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity.models import User
from core.identity.principal import Principal, Role
from core.identity.scope import unit_scope
from ioc.alarms import events, journal
from ioc.alarms.events import AlarmFacts
from ioc.alarms.repository import changes, stamps
from ioc.alarms.repository.journal import facts_of
from ioc.types import AlarmStatus, alarm_status

ASSIGNABLE_ROLES = frozenset({Role.OFFICER, Role.FIELD_STAFF})
ACKNOWLEDGED_STATUSES = frozenset({AlarmStatus.ACTIVE_ACKNOWLEDGED, AlarmStatus.CLEARED_ACKNOWLEDGED})
CLEARED_STATUSES = frozenset({AlarmStatus.CLEARED_UNACKNOWLEDGED, AlarmStatus.CLEARED_ACKNOWLEDGED})
# Why an alarm ended when an officer ended it (the rules write "rule", field staff "resolved").
CLEARED_BY_OFFICER = "officer"


def alarm_not_found(alarm_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "alarm_not_found",
        Message(f"Không tìm thấy cảnh báo {alarm_id}", f"There is no alarm {alarm_id}"),
    )


async def visible_alarm(
    session: AsyncSession, principal: Principal, alarm_id: uuid.UUID, *, lock: bool = False
) -> AlarmFacts:
    """The alarm when the caller's units cover it; 404 alarm_not_found otherwise, as for no alarm at all."""
    alarm = await facts_of(session, alarm_id, lock=lock)
    if alarm is None or not (await unit_scope(session, principal)).allows(alarm.unit_code):
        raise alarm_not_found(alarm_id)
    return alarm


def ensure_officer(principal: Principal) -> None:
    if principal.role not in (Role.OFFICER, Role.ADMIN):
        raise ProblemError(
            403,
            "forbidden",
            Message(
                "Chỉ cán bộ trực và quản trị viên mới được xử lý cảnh báo",
                "Only officers and admins may act on an alarm",
            ),
        )


async def _officers_alarm(session: AsyncSession, principal: Principal, alarm_id: uuid.UUID) -> AlarmFacts:
    """The alarm, locked for the change, for an officer or admin whose units cover it."""
    ensure_officer(principal)
    return await visible_alarm(session, principal, alarm_id, lock=True)


def _already(code: str, alarm_id: uuid.UUID, vi: str, en: str) -> ProblemError:
    return ProblemError(
        409, code, Message(f"Cảnh báo {alarm_id} {vi}", f"The alarm {alarm_id} is already {en}")
    )


async def _record(
    session: AsyncSession,
    principal: Principal,
    alarm: AlarmFacts,
    kind: str,
    event_type: str,
    *,
    comment: str | None,
    now: datetime,
    about: dict[str, Any] | None = None,
) -> int:
    """The timeline entry and event of an officer's change; `about` is both the entry's detail and the
    event's change."""
    return await journal.record(
        session,
        alarm,
        kind=kind,
        event_type=event_type,
        actor_id=principal.user_id,
        comment=comment,
        detail=about,
        change=about,
        at=now,
    )


async def acknowledge(
    session: AsyncSession, principal: Principal, alarm_id: uuid.UUID, *, comment: str | None, now: datetime
) -> AlarmFacts:
    alarm = await _officers_alarm(session, principal, alarm_id)
    status = AlarmStatus(alarm.status)
    if status in ACKNOWLEDGED_STATUSES:
        raise _already("already_acknowledged", alarm_id, "đã được xác nhận", "acknowledged")
    after = alarm_status(cleared=status in CLEARED_STATUSES, acknowledged=True)
    await changes.acknowledge(session, alarm_id, status=after, by=principal.user_id, at=now)
    changed = dataclasses.replace(alarm, status=after.value)
    await _record(
        session, principal, changed, journal.ACKNOWLEDGED, events.ACKNOWLEDGED, comment=comment, now=now
    )
    return changed


async def clear(
    session: AsyncSession, principal: Principal, alarm_id: uuid.UUID, *, comment: str | None, now: datetime
) -> AlarmFacts:
    ensure_officer(principal)
    # The device first: the rules' consumers keep its states in memory (ioc.alarms.repository.stamps).
    await stamps.touch_source(session, alarm_id)
    alarm = await _officers_alarm(session, principal, alarm_id)
    status = AlarmStatus(alarm.status)
    if status in CLEARED_STATUSES:
        raise _already("already_cleared", alarm_id, "đã kết thúc", "cleared")
    after = alarm_status(cleared=True, acknowledged=status in ACKNOWLEDGED_STATUSES)
    await changes.clear(
        session, alarm_id, status=after, by=principal.user_id, reason=CLEARED_BY_OFFICER, at=now
    )
    changed = dataclasses.replace(alarm, status=after.value, cleared_at=now)
    await _record(
        session,
        principal,
        changed,
        journal.CLEARED,
        events.CLEARED,
        comment=comment,
        now=now,
        about={"by": CLEARED_BY_OFFICER},
    )
    return changed


def invalid_assignee(assignee_id: uuid.UUID, alarm: AlarmFacts) -> ProblemError:
    return ProblemError(
        422,
        "invalid_assignee",
        Message(
            f"{assignee_id} không phải cán bộ hoặc nhân viên hiện trường phụ trách đơn vị {alarm.unit_code}",
            f"{assignee_id} is not an officer or field staff member covering unit {alarm.unit_code}",
        ),
        extensions={
            "errors": [
                {
                    "location": ["body", "assignee_id"],
                    "pointer": "/assignee_id",
                    "type": "value_error",
                    "message": "not staff of a unit covering the alarm",
                }
            ]
        },
    )


async def _check_assignee(session: AsyncSession, alarm: AlarmFacts, assignee_id: uuid.UUID) -> None:
    user = await session.get(User, assignee_id)
    if user is None or not user.is_active or user.deleted_at is not None or user.role not in ASSIGNABLE_ROLES:
        raise invalid_assignee(assignee_id, alarm)
    their = Principal(user_id=user.id, role=user.role, unit_code=user.unit_code)
    if not (await unit_scope(session, their)).allows(alarm.unit_code):
        raise invalid_assignee(assignee_id, alarm)


async def assign(
    session: AsyncSession,
    principal: Principal,
    alarm_id: uuid.UUID,
    *,
    assignee_id: uuid.UUID,
    comment: str | None,
    now: datetime,
) -> AlarmFacts:
    alarm = await _officers_alarm(session, principal, alarm_id)
    if AlarmStatus(alarm.status) in CLEARED_STATUSES:
        raise _already("already_cleared", alarm_id, "đã kết thúc, không thể giao", "cleared")
    await _check_assignee(session, alarm, assignee_id)
    await changes.assign(session, alarm_id, assignee_id=assignee_id, at=now)
    changed = dataclasses.replace(alarm, assignee_id=assignee_id)
    who = {
        "assignee_id": str(assignee_id),
        "from_assignee_id": None if alarm.assignee_id is None else str(alarm.assignee_id),
    }
    await _record(
        session, principal, changed, journal.ASSIGNED, events.ASSIGNED, comment=comment, now=now, about=who
    )
    return changed


async def add_comment(
    session: AsyncSession, principal: Principal, alarm_id: uuid.UUID, *, text: str, now: datetime
) -> int:
    """A comment on the timeline; returns the entry's id. Field staff comment on their own alarms only."""
    alarm = await visible_alarm(session, principal, alarm_id, lock=True)
    if principal.role is Role.FIELD_STAFF and alarm.assignee_id != principal.user_id:
        raise ProblemError(
            403,
            "not_alarm_assignee",
            Message(
                f"Cảnh báo {alarm_id} không được giao cho bạn", f"The alarm {alarm_id} is not assigned to you"
            ),
        )
    await changes.touch(session, alarm_id, at=now)
    # The text stays on the timeline: live events carry no free text but the alarm's titles.
    return await _record(
        session, principal, alarm, journal.COMMENTED, events.COMMENTED, comment=text, now=now
    )
