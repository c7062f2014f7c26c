"""Telling people about a warning message: live events on the `warnings` topic and pushes to the phones that
follow the wards concerned, both in the caller's transaction.

One event per ward concerned (unit_code the ward, location its label point), so a subscription filtered by
ward or box gets the warnings of its wards; `subject_id` is the warning's id in each, so a client that shows
warnings keeps one per subject. A warning that reaches no ward is one event of its province. A push goes to
each phone following at least one ward concerned, in the phone's language; Extreme and Severe warnings wake
the phone (high priority).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message
from core.events.outbox import emit, new_event
from core.push.service import enqueue_to_wards
from ioc.warnings.repository import Ward
from ioc.warnings.schemas import WarningSummary
from ioc.warnings.vocabulary import URGENT_SEVERITIES, MsgType
from mobile_contract.events import LatLon, Topic

EVENT_TYPES = {
    MsgType.ALERT: f"{Topic.WARNINGS.value}.published",
    MsgType.UPDATE: f"{Topic.WARNINGS.value}.updated",
    MsgType.CANCEL: f"{Topic.WARNINGS.value}.cancelled",
}
PUSH_PREVIEW_CHARS = 180
TITLE_PREFIXES = {
    MsgType.ALERT: Message("", ""),
    MsgType.UPDATE: Message("Cập nhật: ", "Update: "),
    MsgType.CANCEL: Message("Đã hủy: ", "Cancelled: "),
}
CANCELLED_BODY = Message("Cảnh báo này đã được hủy bỏ.", "This warning has been cancelled.")


@dataclass(frozen=True, slots=True)
class Audience:
    """Who hears of a message: the wards it concerns now (events), and every ward whose followers must be
    told (pushes: for an update, also the wards the warning no longer concerns)."""

    wards: list[Ward]
    province_code: str
    push_ward_codes: list[str]


def _preview(text: str, limit: int = PUSH_PREVIEW_CHARS) -> str:
    # A system tray shows a couple of lines; the whole text is in the app.
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def event_data(warning: WarningSummary) -> dict[str, Any]:
    """What a warnings.* event says: the current message in short, never who published it."""
    return {
        "identifier": warning.identifier,
        "msg_type": warning.msg_type.value,
        "sent": warning.sent.isoformat(),
        "category": warning.category.value,
        "urgency": warning.urgency.value,
        "severity": warning.severity.value,
        "certainty": warning.certainty.value,
        "event": warning.event.model_dump(),
        "headline": warning.headline.model_dump(),
        "onset": warning.onset.isoformat(),
        "expires": warning.expires.isoformat(),
        "ward_codes": warning.area.affected_ward_codes,
        "cap_url": warning.cap_url,
    }


async def _emit_events(session: AsyncSession, warning: WarningSummary, audience: Audience) -> None:
    data = event_data(warning)
    event_type = EVENT_TYPES[warning.msg_type]
    places: list[tuple[str, LatLon | None]] = [
        (ward.code, LatLon(lat=ward.lat, lon=ward.lon)) for ward in audience.wards
    ] or [(audience.province_code, None)]
    for unit_code, location in places:
        await emit(
            session,
            new_event(
                event_type,
                unit_code=unit_code,
                subject_id=str(warning.id),
                location=location,
                occurred_at=warning.sent,
                data=data,
            ),
        )


async def _push(session: AsyncSession, warning: WarningSummary, audience: Audience) -> int:
    prefix = TITLE_PREFIXES[warning.msg_type]
    title = Message(prefix.vi + warning.headline.vi, prefix.en + warning.headline.en)
    if warning.msg_type is MsgType.CANCEL:
        body = CANCELLED_BODY
    else:
        body = Message(_preview(warning.description.vi), _preview(warning.description.en))
    return await enqueue_to_wards(
        session,
        audience.push_ward_codes,
        title=title,
        body=body,
        data={
            "kind": "warning",
            "warning_id": str(warning.id),
            "severity": warning.severity.value,
            "msg_type": warning.msg_type.value,
        },
        high_priority=warning.severity in URGENT_SEVERITIES and warning.msg_type is not MsgType.CANCEL,
    )


async def announce(session: AsyncSession, warning: WarningSummary, audience: Audience) -> int:
    """Emit the message's events and queue its pushes; returns how many phones will be told."""
    await _emit_events(session, warning, audience)
    return await _push(session, warning, audience)
