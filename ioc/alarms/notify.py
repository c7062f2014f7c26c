"""Pushes about alarms to the officers of the alarm's unit and of its province, each on his own phones.

Never on a unit's FCM topics: any app may subscribe to those (citizens do, for their ward's announcements),
and an alarm names places and devices that are not public. Each officer's preferences decide (types,
minimum severity, quiet hours), except that a critical alarm always reaches him. Everything is queued in the
caller's transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE
from core.errors import Message
from core.identity.principal import Role
from core.identity.repository import staff_ids_covering
from core.push.models import TITLE_MAX_LENGTH
from core.push.service import enqueue_to_user
from ioc.alarms.events import AlarmFacts
from ioc.alarms.preferences import preferences_of
from ioc.types import Severity, at_least

SEVERITY_WORDS: dict[Severity, Message] = {
    Severity.CRITICAL: Message("nghiêm trọng", "critical"),
    Severity.MAJOR: Message("cao", "major"),
    Severity.MINOR: Message("thấp", "minor"),
    Severity.WARNING: Message("lưu ý", "warning"),
    Severity.INDETERMINATE: Message("chưa xác định", "indeterminate"),
}


class PushReason(StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"
    REMINDER = "reminder"


def _clip(text: str, limit: int = TITLE_MAX_LENGTH) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message(alarm: AlarmFacts, reason: PushReason, *, severity_from: str | None) -> tuple[Message, Message]:
    """The title and body, in Vietnamese and English."""
    words = SEVERITY_WORDS[Severity(alarm.severity)]
    if reason is PushReason.RAISED:
        title = Message(f"Cảnh báo mới: {alarm.title_vi}", f"New alarm: {alarm.title_en}")
        body = Message(
            f"Mức độ {words.vi}, đơn vị {alarm.unit_code}. Hãy xác nhận cảnh báo.",
            f"Severity {words.en}, unit {alarm.unit_code}. Please acknowledge it.",
        )
    elif reason is PushReason.ESCALATED:
        before = SEVERITY_WORDS[Severity(severity_from or Severity.INDETERMINATE)]
        title = Message(f"Cảnh báo tăng mức: {alarm.title_vi}", f"Alarm escalated: {alarm.title_en}")
        body = Message(
            f"Mức độ từ {before.vi} lên {words.vi}, đơn vị {alarm.unit_code}.",
            f"Severity from {before.en} to {words.en}, unit {alarm.unit_code}.",
        )
    else:
        since = alarm.raised_at.astimezone(LOCAL_ZONE).strftime("%H:%M %d/%m")
        title = Message(f"Chưa xác nhận: {alarm.title_vi}", f"Still unacknowledged: {alarm.title_en}")
        body = Message(
            f"Cảnh báo mức {words.vi} từ {since} vẫn chưa được xác nhận.",
            f"This {words.en} alarm raised at {since} is still unacknowledged.",
        )
    return Message(_clip(title.vi), _clip(title.en)), body


async def push_to_officers(
    session: AsyncSession,
    alarm: AlarmFacts,
    reason: PushReason,
    *,
    now: datetime,
    severity_from: str | None = None,
) -> list[uuid.UUID]:
    """Queue the push to every officer covering the alarm's unit whose preferences let it through at `now`;
    returns who was pushed to."""
    officers = await staff_ids_covering(session, alarm.unit_code, [Role.OFFICER])
    chosen = await preferences_of(session, officers)
    audience = [user for user in officers if chosen[user].lets_through(alarm.severity, alarm.type, now)]
    if not audience:
        return []
    title, body = _message(alarm, reason, severity_from=severity_from)
    data = {
        "kind": "alarm",
        "alarm_id": str(alarm.id),
        "severity": alarm.severity,
        "type": alarm.type,
        "reason": reason.value,
    }
    urgent = at_least(alarm.severity, Severity.MAJOR)
    for user_id in audience:
        await enqueue_to_user(session, user_id, title=title, body=body, data=data, high_priority=urgent)
    return audience
