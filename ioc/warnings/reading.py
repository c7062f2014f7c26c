"""Reading warnings: one by id with its chain, the current ones in pages, a message's CAP document.

"Current" (the public list and the feed) means neither cancelled nor expired at the time of the read,
whether or not its onset has come: people must hear of tomorrow's flood today. An expired or cancelled
warning leaves the list by the clock alone (no job moves it) and stays readable by id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.bbox import BBox
from core.cursor import Page, decode_cursor, fetch_limit, keyset_page
from core.errors import Message, ProblemError
from ioc.warnings import repository
from ioc.warnings.schemas import (
    WARNINGS_PATH,
    AreaRead,
    MessageRef,
    PolygonGeometry,
    Texts,
    WarningRead,
    WarningSummary,
)
from ioc.warnings.vocabulary import CapSeverity, Category, Certainty, MsgType, Urgency, WarningState

LIST_SORT = "warnings_sent"


def warning_not_found(warning_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "warning_not_found",
        Message(f"Không có cảnh báo {warning_id}", f"No warning has the id {warning_id}"),
    )


def _state(row: Any, now: datetime) -> WarningState:
    if row.cancelled_at is not None:
        return WarningState.CANCELLED
    if row.expires <= now:
        return WarningState.EXPIRED
    return WarningState.UPCOMING if row.onset > now else WarningState.IN_EFFECT


def _texts(row: Any, name: str) -> Texts:
    return Texts(vi=getattr(row, f"{name}_vi"), en=getattr(row, f"{name}_en"))


def _summary(row: Any, now: datetime) -> WarningSummary:
    polygon = PolygonGeometry.model_validate_json(row.polygon_geojson) if row.polygon_geojson else None
    return WarningSummary(
        id=row.warning_id,
        identifier=row.identifier,
        sender=row.sender,
        sent=row.sent,
        msg_type=MsgType(row.msg_type),
        state=_state(row, now),
        category=Category(row.category),
        event=_texts(row, "event"),
        urgency=Urgency(row.urgency),
        severity=CapSeverity(row.severity),
        certainty=Certainty(row.certainty),
        headline=_texts(row, "headline"),
        description=_texts(row, "description"),
        instruction=_texts(row, "instruction"),
        onset=row.onset,
        expires=row.expires,
        area=AreaRead(
            description=_texts(row, "area_desc"),
            ward_codes=list(row.ward_codes),
            affected_ward_codes=list(row.affected_ward_codes),
            polygon=polygon,
        ),
        alarm_id=row.alarm_id,
        incident_id=row.incident_id,
        cap_url=f"{WARNINGS_PATH}/{row.warning_id}.cap",
    )


async def read(session: AsyncSession, warning_id: uuid.UUID, *, now: datetime | None = None) -> WarningRead:
    """The warning as its newest message says it, with its chain; 404 warning_not_found."""
    row = await repository.current_message(session, warning_id)
    if row is None:
        raise warning_not_found(warning_id)
    chain = await repository.chain(session, warning_id)
    return WarningRead(
        **_summary(row, now or datetime.now(UTC)).model_dump(),
        messages=[
            MessageRef(identifier=m.identifier, sender=m.sender, sent=m.sent, msg_type=MsgType(m.msg_type))
            for m in chain
        ],
    )


async def current(
    session: AsyncSession,
    *,
    ward_code: str | None,
    bbox: BBox | None,
    cursor: str | None,
    limit: int,
    now: datetime | None = None,
) -> Page[WarningSummary]:
    """Warnings neither cancelled nor expired, newest message first, in keyset pages."""
    moment = now or datetime.now(UTC)
    rows = await repository.list_current(
        session,
        now=moment,
        ward_code=ward_code,
        bbox=bbox,
        cursor=decode_cursor(LIST_SORT, cursor),
        fetch=fetch_limit(limit),
    )
    return keyset_page(
        rows,
        limit,
        sort=LIST_SORT,
        position=lambda row: (row.sent, row.warning_id),
        item=lambda row: _summary(row, moment),
    )


async def cap_document(session: AsyncSession, warning_id: uuid.UUID) -> tuple[str, datetime]:
    """The current message's CAP XML and sent time; 404 warning_not_found."""
    row = await repository.current_cap(session, warning_id)
    if row is None:
        raise warning_not_found(warning_id)
    return row.cap_xml, row.sent


async def feed_entries(session: AsyncSession, limit: int) -> tuple[list[WarningSummary], datetime | None]:
    """The newest `limit` current warnings and when the set of current warnings last changed."""
    now = datetime.now(UTC)
    page = await current(session, ward_code=None, bbox=None, cursor=None, limit=limit, now=now)
    return page.items, await repository.last_change(session, now)
