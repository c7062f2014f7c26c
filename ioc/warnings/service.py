"""Publishing, updating and cancelling public warnings (reading them is reading.py).

Every change is a new CAP message of the warning's chain: publishing sends an Alert, an update an Update
(the whole warning again, checked like a new one), a cancellation a Cancel repeating the current content.
An Update or a Cancel references every earlier message of the chain ("sender,identifier,sent" triples), and
the current warning is always the newest message. The head row is locked for the change, so two officers
updating at once make two messages one after the other. A cancelled warning takes no further message (409
warning_cancelled); an expired one may be updated (to extend it) or cancelled. Nothing here commits.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Language, Message, ProblemError, invalid_parameter
from core.identity.principal import Principal
from core.identity.scope import UnitScope, unit_scope
from ioc.warnings import areas, cap, notify, reading, repository
from ioc.warnings.areas import Area
from ioc.warnings.notify import Audience
from ioc.warnings.schemas import EventTexts, Headline, Prose, WarningIn, WarningRead
from ioc.warnings.vocabulary import CapSeverity, Category, Certainty, MsgType, Urgency

LANGUAGES: tuple[Language, ...] = ("vi", "en")
# The columns of a message that say what the warning is (the rest is its CAP header and its area).
CONTENT_COLUMNS = (
    "category",
    "urgency",
    "severity",
    "certainty",
    *(
        f"{name}_{language}"
        for name in ("event", "headline", "description", "instruction")
        for language in LANGUAGES
    ),
    "onset",
    "expires",
    "alarm_id",
    "incident_id",
)


def _now(now: datetime | None) -> datetime:
    # Whole seconds: `sent` is written so in CAP and must be repeated exactly in later references.
    return (now or datetime.now(UTC)).replace(microsecond=0)


def _content(body: WarningIn) -> dict[str, Any]:
    texts: dict[str, EventTexts | Headline | Prose] = {
        "event": body.event,
        "headline": body.headline,
        "description": body.description,
        "instruction": body.instruction,
    }
    content: dict[str, Any] = {
        "category": body.category.value,
        "urgency": body.urgency.value,
        "severity": body.severity.value,
        "certainty": body.certainty.value,
        "onset": body.onset,
        "expires": body.expires,
        "alarm_id": body.alarm_id,
        "incident_id": body.incident_id,
    }
    for name, pair in texts.items():
        content[f"{name}_vi"], content[f"{name}_en"] = pair.vi, pair.en
    return content


def _ensure_ahead(expires: datetime, now: datetime) -> None:
    if expires <= now:
        raise invalid_parameter(
            "expires",
            Message("Thời điểm hết hiệu lực phải ở tương lai", "expires must be in the future"),
            location="body",
        )


async def _check_alarm(session: AsyncSession, scope: UnitScope, alarm_id: uuid.UUID | None) -> None:
    if alarm_id is None:
        return
    unit = await repository.alarm_unit(session, alarm_id)
    # Another unit's alarm is not named: the same answer as a missing one.
    if unit is None or not scope.allows(unit):
        raise invalid_parameter(
            "alarm_id",
            Message(f"Không tìm thấy báo động {alarm_id}", f"No alarm has the id {alarm_id}"),
            location="body",
        )


def _cap_message(
    header: dict[str, Any], content: dict[str, Any], area: Area, references: str | None
) -> cap.CapMessage:
    return cap.CapMessage(
        identifier=header["identifier"],
        sender=header["sender"],
        sent=header["sent"],
        msg_type=MsgType(header["msg_type"]),
        references=references,
        incident=str(content["incident_id"]) if content["incident_id"] is not None else None,
        category=Category(content["category"]),
        urgency=Urgency(content["urgency"]),
        severity=CapSeverity(content["severity"]),
        certainty=Certainty(content["certainty"]),
        onset=content["onset"],
        expires=content["expires"],
        texts={
            language: cap.InfoTexts(
                event=content[f"event_{language}"],
                headline=content[f"headline_{language}"],
                description=content[f"description_{language}"],
                instruction=content[f"instruction_{language}"],
                area_desc=area.description.in_(language),
            )
            for language in LANGUAGES
        },
        rings=area.cap_rings,
        geocodes=area.chosen_codes,
    )


async def _store_message(
    session: AsyncSession,
    warning_id: uuid.UUID,
    *,
    seq: int,
    msg_type: MsgType,
    sender: str,
    sent: datetime,
    author_id: uuid.UUID,
    content: dict[str, Any],
    area: Area,
    references: str | None,
) -> None:
    number = await repository.next_number(session)
    header = {
        "identifier": cap.make_identifier(area.province_code, sent, number),
        "sender": sender,
        "sent": sent,
        "msg_type": msg_type.value,
    }
    values = {
        **header,
        **content,
        "warning_id": warning_id,
        "seq": seq,
        "cap_references": references,
        "author_id": author_id,
        "area_desc_vi": area.description.vi,
        "area_desc_en": area.description.en,
        "ward_codes": area.chosen_codes,
        "affected_ward_codes": area.affected_codes,
        "cap_xml": cap.render(_cap_message(header, content, area, references)),
    }
    await repository.insert_message(session, values, area.polygon_wkt)


async def publish(
    session: AsyncSession, principal: Principal, body: WarningIn, *, sender: str, now: datetime | None = None
) -> WarningRead:
    """Publish a new warning (its Alert message), tell the wards concerned; 422 or 403 changes nothing."""
    sent = _now(now)
    _ensure_ahead(body.expires, sent)
    area = await areas.resolve(session, body.area)
    scope = await unit_scope(session, principal)
    areas.ensure_in_scope(scope, area)
    await _check_alarm(session, scope, body.alarm_id)
    content = _content(body)
    warning_id = await repository.insert_head(
        session,
        province_code=area.province_code,
        ward_codes=area.affected_codes,
        chosen=area.chosen_codes,
        polygon_wkt=area.polygon_wkt,
        sent=sent,
        expires=body.expires,
        created_by=principal.user_id,
    )
    await _store_message(
        session,
        warning_id,
        seq=1,
        msg_type=MsgType.ALERT,
        sender=sender,
        sent=sent,
        author_id=principal.user_id,
        content=content,
        area=area,
        references=None,
    )
    warning = await reading.read(session, warning_id, now=sent)
    await notify.announce(session, warning, Audience(area.affected, area.province_code, area.affected_codes))
    return warning


async def _open(session: AsyncSession, warning_id: uuid.UUID) -> tuple[repository.Head, Any]:
    head = await repository.lock_head(session, warning_id)
    if head is None:
        raise reading.warning_not_found(warning_id)
    if head.cancelled_at is not None:
        raise ProblemError(
            409,
            "warning_cancelled",
            Message(
                "Cảnh báo đã bị hủy, không thể thay đổi thêm",
                "The warning was cancelled and can no longer change",
            ),
        )
    current = await repository.current_message(session, warning_id)
    assert current is not None  # a head always has its message
    return head, current


async def _follow(
    session: AsyncSession,
    head: repository.Head,
    *,
    msg_type: MsgType,
    content: dict[str, Any],
    area: Area,
    sender: str,
    sent: datetime,
    author_id: uuid.UUID,
) -> None:
    """Add the next message to the chain, referencing every earlier one."""
    earlier = await repository.chain(session, head.id)
    references = " ".join(cap.reference(m.sender, m.identifier, m.sent) for m in earlier)
    seq = head.message_count + 1
    await repository.advance_head(
        session,
        head.id,
        message_count=seq,
        ward_codes=area.affected_codes,
        chosen=area.chosen_codes,
        polygon_wkt=area.polygon_wkt,
        sent=sent,
        expires=content["expires"],
        cancelled=msg_type is MsgType.CANCEL,
    )
    await _store_message(
        session,
        head.id,
        seq=seq,
        msg_type=msg_type,
        sender=sender,
        sent=sent,
        author_id=author_id,
        content=content,
        area=area,
        references=references,
    )


async def update(
    session: AsyncSession,
    principal: Principal,
    warning_id: uuid.UUID,
    body: WarningIn,
    *,
    sender: str,
    now: datetime | None = None,
) -> WarningRead:
    """Replace the warning's content with an Update message; the wards it concerned before and those it
    concerns now are told. The officer must be able to address both."""
    sent = _now(now)
    head, current = await _open(session, warning_id)
    scope = await unit_scope(session, principal)
    before = await areas.stored(session, current)
    areas.ensure_in_scope(scope, before)
    _ensure_ahead(body.expires, sent)
    area = await areas.resolve(session, body.area)
    areas.ensure_in_scope(scope, area)
    await _check_alarm(session, scope, body.alarm_id)
    await _follow(
        session,
        head,
        msg_type=MsgType.UPDATE,
        content=_content(body),
        area=area,
        sender=sender,
        sent=sent,
        author_id=principal.user_id,
    )
    warning = await reading.read(session, warning_id, now=sent)
    told = list(dict.fromkeys([*before.affected_codes, *area.affected_codes]))
    await notify.announce(session, warning, Audience(area.affected, area.province_code, told))
    return warning


async def cancel(
    session: AsyncSession,
    principal: Principal,
    warning_id: uuid.UUID,
    *,
    sender: str,
    now: datetime | None = None,
) -> WarningRead:
    """End the warning with a Cancel message repeating its current content; its wards are told."""
    sent = _now(now)
    head, current = await _open(session, warning_id)
    area = await areas.stored(session, current)
    areas.ensure_in_scope(await unit_scope(session, principal), area)
    await _follow(
        session,
        head,
        msg_type=MsgType.CANCEL,
        content={column: getattr(current, column) for column in CONTENT_COLUMNS},
        area=area,
        sender=sender,
        sent=sent,
        author_id=principal.user_id,
    )
    warning = await reading.read(session, warning_id, now=sent)
    await notify.announce(session, warning, Audience(area.affected, area.province_code, area.affected_codes))
    return warning
