"""Announcements: an officer's notice to a unit, stored and emitted as an event in one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.events import repository
from core.events.outbox import emit, new_event
from core.identity.principal import Principal
from core.identity.scope import ensure_can_see_unit
from core.push.service import enqueue_to_topic
from core.push.topics import unit_topic
from mobile_contract.events import Topic

PUBLISHED = f"{Topic.ANNOUNCEMENTS.value}.published"
PUSH_PREVIEW_CHARS = 180


class AnnouncementIn(BaseModel):
    unit_code: str = Field(
        pattern=r"^([0-9]{2}|[0-9]{5})$", description="The province or ward addressed.", examples=["13666"]
    )
    title_vi: str = Field(min_length=1, max_length=200, examples=["Tạm ngừng cấp nước"])
    title_en: str | None = Field(default=None, min_length=1, max_length=200, examples=["Water cut"])
    body: str = Field(min_length=1, max_length=4000)


class AnnouncementOut(BaseModel):
    id: uuid.UUID
    unit_code: str
    title_vi: str
    title_en: str | None
    body: str
    published_at: datetime
    event_id: uuid.UUID = Field(description="Id of the announcements.published event sent on /ws.")


def _preview(text: str, limit: int = PUSH_PREVIEW_CHARS) -> str:
    # A system tray shows a couple of lines; the whole text is in the app.
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def publish(
    session: AsyncSession, principal: Principal, announcement: AnnouncementIn
) -> AnnouncementOut:
    """Store the announcement and emit announcements.published in the caller's transaction."""
    where = await repository.unit_label_point(session, announcement.unit_code)
    if where is None:
        raise ProblemError(
            404,
            "unit_not_found",
            Message(
                f"Không có đơn vị hành chính mã {announcement.unit_code}",
                f"No administrative unit has the code {announcement.unit_code}",
            ),
        )
    await ensure_can_see_unit(session, principal, announcement.unit_code)
    announcement_id, published_at = await repository.insert_announcement(
        session,
        unit_code=announcement.unit_code,
        title_vi=announcement.title_vi,
        title_en=announcement.title_en,
        body=announcement.body,
        author_id=principal.user_id,
    )
    event = new_event(
        PUBLISHED,
        unit_code=announcement.unit_code,
        subject_id=str(announcement_id),
        location=where,
        occurred_at=published_at,
        data={
            "title_vi": announcement.title_vi,
            "title_en": announcement.title_en,
            "body": announcement.body,
        },
    )
    await emit(session, event)
    # Phones that follow the unit hear about it too, in their language, through its FCM topic.
    await enqueue_to_topic(
        session,
        unit_topic(announcement.unit_code),
        title=Message(announcement.title_vi, announcement.title_en or announcement.title_vi),
        body=Message(_preview(announcement.body), _preview(announcement.body)),
        data={
            "type": PUBLISHED,
            "announcement_id": str(announcement_id),
            "unit_code": announcement.unit_code,
        },
    )
    return AnnouncementOut(
        id=announcement_id,
        unit_code=announcement.unit_code,
        title_vi=announcement.title_vi,
        title_en=announcement.title_en,
        body=announcement.body,
        published_at=published_at,
        event_id=event.id,
    )
