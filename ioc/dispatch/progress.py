"""What the assignee reports from the field: photos, progress notes, and the resolution that clears the alarm.

Photos go through the product's one photo pipeline: uploaded first, one per request (POST
/api/v1/dispatch/photos), checked, decoded on the bounded pool and re-encoded without metadata by core/media,
stored content-addressed, and served by signed URLs; a note then names its uploads by id. Uploading first
suits a phone in the field: each photo is sent (and retried) on its own over a weak connection, and the note
that names them is a small JSON body.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal
from core.media import MediaStorage, ProcessedImage, delete_async, put_async
from core.media.signing import MediaUrls
from feedback.submission.photos import photo_not_found
from ioc.alarms import events, journal
from ioc.alarms.events import AlarmFacts
from ioc.alarms.repository import stamps
from ioc.alarms.repository.journal import facts_of
from ioc.dispatch import problems
from ioc.dispatch.access import may_see
from ioc.dispatch.models import DispatchPhoto, ProgressKind
from ioc.dispatch.repository import progress as repository
from ioc.dispatch.repository.progress import NoteRow, PhotoRow
from ioc.dispatch.schemas import FieldPhotoRead, ProgressRead

# Uploads a phone never attached to a note are removed after this long.
STALE_UPLOAD_AGE = timedelta(days=1)


def photo_read(photo: DispatchPhoto | PhotoRow, media: MediaUrls) -> FieldPhotoRead:
    # Never public: an alarm's photos are for the staff of its unit.
    return FieldPhotoRead(
        id=photo.id,
        url=media.url(photo.media_key, public=False),
        thumbnail_url=media.url(photo.thumbnail_key, public=False),
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
    )


async def save_upload(
    session: AsyncSession, storage: MediaStorage, processed: ProcessedImage, *, uploader_id: uuid.UUID
) -> DispatchPhoto:
    """Store a sanitised photo and its thumbnail (content-addressed), not attached to a note yet."""
    image, thumbnail = processed.image, processed.thumbnail
    photo = DispatchPhoto(
        uploader_id=uploader_id,
        media_key=await put_async(storage, image.data, image.content_type),
        thumbnail_key=await put_async(storage, thumbnail.data, thumbnail.content_type),
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        byte_size=len(image.data),
    )
    session.add(photo)
    await session.flush()
    return photo


async def assigned_alarm(session: AsyncSession, principal: Principal, alarm_id: uuid.UUID) -> AlarmFacts:
    """The alarm, locked, when the caller is its assignee: 404 alarm_not_found when he may not see it,
    403 not_alarm_assignee when it is someone else's (or nobody's), 409 alarm_cleared when it is over."""
    alarm = await facts_of(session, alarm_id, lock=True)
    if alarm is None or not await may_see(session, principal, alarm):
        raise problems.alarm_not_found(alarm_id)
    if alarm.assignee_id != principal.user_id:
        raise problems.not_assignee()
    if alarm.cleared_at is not None:
        raise problems.alarm_cleared()
    return alarm


async def _note_with_photos(
    session: AsyncSession,
    alarm: AlarmFacts,
    author_id: uuid.UUID,
    kind: ProgressKind,
    note: str | None,
    photo_ids: Sequence[uuid.UUID],
    now: datetime,
) -> NoteRow:
    """422 photo_not_found, nothing written, unless every id is a free upload of the author."""
    if len(set(photo_ids)) != len(photo_ids):
        raise photo_not_found([p for p in dict.fromkeys(photo_ids) if photo_ids.count(p) > 1])
    free = (
        await repository.lock_free_uploads(session, photo_ids, uploader_id=author_id) if photo_ids else set()
    )
    if missing := [photo_id for photo_id in photo_ids if photo_id not in free]:
        raise photo_not_found(missing)
    row = await repository.add_note(
        session, alarm_id=alarm.id, author_id=author_id, kind=kind.value, note=note, now=now
    )
    await repository.attach(session, row.id, photo_ids)
    return row


async def add_progress(
    session: AsyncSession,
    principal: Principal,
    alarm_id: uuid.UUID,
    note: str,
    photo_ids: Sequence[uuid.UUID],
    now: datetime,
) -> NoteRow:
    alarm = await assigned_alarm(session, principal, alarm_id)
    row = await _note_with_photos(
        session, alarm, principal.user_id, ProgressKind.PROGRESS, note, photo_ids, now
    )
    await journal.record(
        session,
        alarm,
        kind=journal.PROGRESS,
        event_type=events.PROGRESS,
        actor_id=principal.user_id,
        comment=note,
        detail={"progress_id": str(row.id), "photo_ids": [str(p) for p in photo_ids]},
        change={"progress_id": str(row.id), "photos": len(photo_ids)},
        at=now,
    )
    return row


async def resolve(
    session: AsyncSession,
    principal: Principal,
    alarm_id: uuid.UUID,
    note: str | None,
    photo_ids: Sequence[uuid.UUID],
    now: datetime,
) -> tuple[AlarmFacts, NoteRow]:
    """Clear the alarm as resolved by its assignee, with his closing note; he is available again."""
    # The device first: the rules' consumers keep its states in memory (ioc.alarms.repository.stamps).
    await stamps.touch_source(session, alarm_id)
    alarm = await assigned_alarm(session, principal, alarm_id)
    row = await _note_with_photos(
        session, alarm, principal.user_id, ProgressKind.RESOLUTION, note, photo_ids, now
    )
    if not await repository.resolve_alarm(session, alarm_id, principal.user_id, now):
        raise problems.alarm_cleared()  # not reachable while the row is locked; kept as the guard
    cleared = await facts_of(session, alarm_id)
    assert cleared is not None
    await journal.record(
        session,
        cleared,
        kind=journal.CLEARED,
        event_type=events.CLEARED,
        actor_id=principal.user_id,
        comment=note,
        detail={"reason": "resolved", "progress_id": str(row.id), "photo_ids": [str(p) for p in photo_ids]},
        change={"by": "field_staff"},
        at=now,
    )
    return cleared, row


async def read_notes(session: AsyncSession, rows: Sequence[NoteRow], media: MediaUrls) -> list[ProgressRead]:
    photos: dict[uuid.UUID, list[FieldPhotoRead]] = {}
    for photo in await repository.photos_of(session, (row.id for row in rows)):
        photos.setdefault(photo.progress_id, []).append(photo_read(photo, media))
    return [
        ProgressRead(
            id=row.id,
            alarm_id=row.alarm_id,
            author_id=row.author_id,
            kind=ProgressKind(row.kind),
            note=row.note,
            photos=photos.get(row.id, []),
            created_at=row.created_at,
        )
        for row in rows
    ]


async def notes(
    session: AsyncSession, principal: Principal, alarm_id: uuid.UUID, media: MediaUrls
) -> list[ProgressRead]:
    """The alarm's notes from the field, oldest first, for staff of its unit and its assignee."""
    alarm = await facts_of(session, alarm_id)
    if alarm is None or not await may_see(session, principal, alarm):
        raise problems.alarm_not_found(alarm_id)
    return await read_notes(session, await repository.notes(session, alarm_id), media)


async def delete_stale_uploads(session: AsyncSession, storage: MediaStorage, *, now: datetime) -> int:
    """Remove uploads never attached, and their blobs unless another photo uses the same bytes; how many
    blobs went."""
    keys = await repository.delete_unattached(session, older_than=now - STALE_UPLOAD_AGE)
    unused = keys - await repository.keys_in_use(session, keys)
    for key in sorted(unused):
        await delete_async(storage, key)
    return len(unused)
