"""The pushes of field dispatch, each to one person's phones, in the caller's transaction.

An offer goes out at high priority (someone must leave now); the word that a colleague took it, or that it
is no longer needed, at normal priority; the escalation to the unit's officers at high priority. Every
payload carries `kind` and `alarm_id`, so the app can open the right screen; they are described in
mobile_contract/asyncapi.yaml.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message
from core.identity.principal import Role
from core.identity.repository import staff_ids_covering
from core.push.models import TITLE_MAX_LENGTH
from core.push.service import enqueue_to_user
from ioc.alarms.events import AlarmFacts

OFFER = "dispatch_offer"
TAKEN = "dispatch_taken"
WITHDRAWN = "dispatch_withdrawn"
ESCALATED = "dispatch_escalated"

SEVERITY_WORDS: dict[str, Message] = {
    "critical": Message("nghiêm trọng", "critical"),
    "major": Message("cao", "major"),
    "minor": Message("thấp", "minor"),
    "warning": Message("cảnh giác", "warning"),
    "indeterminate": Message("chưa xác định", "indeterminate"),
}


def _clip(text: str, limit: int = TITLE_MAX_LENGTH) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _titled(prefix: Message, alarm: AlarmFacts) -> Message:
    return Message(_clip(f"{prefix.vi}: {alarm.title_vi}"), _clip(f"{prefix.en}: {alarm.title_en}"))


def _data(kind: str, alarm: AlarmFacts, **more: str) -> dict[str, str]:
    return {"kind": kind, "alarm_id": str(alarm.id), **more}


async def offer(
    session: AsyncSession, alarm: AlarmFacts, *, staff_id: uuid.UUID, offer_id: uuid.UUID, distance_m: float
) -> None:
    severity = SEVERITY_WORDS[alarm.severity]
    metres = round(distance_m)
    await enqueue_to_user(
        session,
        staff_id,
        title=_titled(Message("Cần người xử lý", "Dispatch"), alarm),
        body=Message(
            f"Cách bạn khoảng {metres} m, mức độ {severity.vi}. Bạn có nhận việc không?",
            f"About {metres} m from you, severity {severity.en}. Will you take it?",
        ),
        data=_data(
            OFFER,
            alarm,
            offer_id=str(offer_id),
            distance_m=str(metres),
            severity=alarm.severity,
            type=alarm.type,
        ),
        high_priority=True,
    )


# Why an open offer closed, as its holder reads it: (title prefix, body).
CLOSED_TEXTS: dict[str, tuple[Message, Message]] = {
    TAKEN: (
        Message("Đã có người nhận", "Taken"),
        Message("Một đồng nghiệp đã nhận việc này.", "A colleague has taken this dispatch."),
    ),
    WITHDRAWN: (
        Message("Không cần nữa", "No longer needed"),
        Message(
            "Cảnh báo đã được xử lý hoặc giao cho người khác.",
            "The alarm was cleared or assigned to someone else.",
        ),
    ),
}


async def offer_closed(
    session: AsyncSession, alarm: AlarmFacts, kind: str, *, staff_id: uuid.UUID, offer_id: uuid.UUID
) -> None:
    """Tell the holder of an open offer that it closed: TAKEN by a colleague, or WITHDRAWN."""
    prefix, body = CLOSED_TEXTS[kind]
    await enqueue_to_user(
        session,
        staff_id,
        title=_titled(prefix, alarm),
        body=body,
        data=_data(kind, alarm, offer_id=str(offer_id)),
    )


async def escalated(session: AsyncSession, alarm: AlarmFacts, *, rings: int) -> list[uuid.UUID]:
    """Tell the officers of the alarm's unit (and of its province) that nobody accepted; who was told."""
    officers = await staff_ids_covering(session, alarm.unit_code, [Role.OFFICER])
    for officer_id in officers:
        await enqueue_to_user(
            session,
            officer_id,
            title=_titled(Message("Không ai nhận việc", "Nobody accepted"), alarm),
            body=Message(
                f"Đã mời {rings} vòng nhân viên hiện trường gần nhất nhưng không ai nhận. Hãy phân công.",
                f"Offered to {rings} rings of the nearest field staff and nobody accepted. Please assign it.",
            ),
            data=_data(ESCALATED, alarm, severity=alarm.severity, type=alarm.type),
            high_priority=True,
        )
    return officers
