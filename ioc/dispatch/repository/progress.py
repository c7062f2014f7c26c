"""Progress notes from the field and their photos: writing, attaching, reading, and forgotten uploads."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

_UUIDS = ARRAY(UUID(as_uuid=True))

_ADD_NOTE = text("""
INSERT INTO dispatch_progress (alarm_id, author_id, kind, note, created_at)
VALUES (:alarm_id, :author_id, :kind, :note, :now)
RETURNING id, alarm_id, author_id, kind, note, created_at
""")

# Locked, so that two notes naming the same upload cannot both take it.
_LOCK_FREE = text("""
SELECT id FROM dispatch_photos
WHERE id = ANY(:ids) AND uploader_id = :uploader_id AND progress_id IS NULL
FOR UPDATE
""").bindparams(bindparam("ids", type_=_UUIDS))

_ATTACH = text("""
UPDATE dispatch_photos AS p SET progress_id = :progress_id, position = c.position - 1
FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS c(id, position)
WHERE p.id = c.id
""").bindparams(bindparam("ids", type_=_UUIDS))

_NOTES = text("""
SELECT id, alarm_id, author_id, kind, note, created_at
FROM dispatch_progress
WHERE alarm_id = :alarm_id
ORDER BY created_at, id
""")

_PHOTOS = text("""
SELECT id, progress_id, media_key, thumbnail_key, content_type, width, height
FROM dispatch_photos
WHERE progress_id = ANY(:ids)
ORDER BY progress_id, position, id
""").bindparams(bindparam("ids", type_=_UUIDS))

_DELETE_UNATTACHED = text("""
DELETE FROM dispatch_photos WHERE progress_id IS NULL AND created_at < :older_than
RETURNING media_key, thumbnail_key
""")

# Blobs are content-addressed and shared with the reports' photos: a key stays while any row names it.
_KEYS_IN_USE = text("""
SELECT media_key AS key FROM dispatch_photos WHERE media_key = ANY(:keys)
UNION SELECT thumbnail_key FROM dispatch_photos WHERE thumbnail_key = ANY(:keys)
UNION SELECT media_key FROM feedback_photos WHERE media_key = ANY(:keys)
UNION SELECT thumbnail_key FROM feedback_photos WHERE thumbnail_key = ANY(:keys)
""").bindparams(bindparam("keys", type_=ARRAY(String)))

# Resolved in the field: cleared by the assignee, acknowledged or not as it was.
_RESOLVE = text("""
UPDATE alarms SET
    status = CASE WHEN acknowledged_at IS NULL THEN 'cleared_unacknowledged' ELSE 'cleared_acknowledged' END,
    cleared_at = :now, cleared_by = :by, clear_reason = 'resolved', remind_at = NULL, updated_at = :now
WHERE id = :id AND cleared_at IS NULL AND assignee_id = :by
RETURNING id
""")


@dataclass(frozen=True, slots=True)
class NoteRow:
    id: uuid.UUID
    alarm_id: uuid.UUID
    author_id: uuid.UUID | None
    kind: str
    note: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PhotoRow:
    id: uuid.UUID
    progress_id: uuid.UUID
    media_key: str
    thumbnail_key: str
    content_type: str
    width: int
    height: int


def _note(row: Any) -> NoteRow:
    return NoteRow(**row._asdict())


async def add_note(
    session: AsyncSession,
    *,
    alarm_id: uuid.UUID,
    author_id: uuid.UUID,
    kind: str,
    note: str | None,
    now: datetime,
) -> NoteRow:
    row = (
        await session.execute(
            _ADD_NOTE, {"alarm_id": alarm_id, "author_id": author_id, "kind": kind, "note": note, "now": now}
        )
    ).one()
    return _note(row)


async def lock_free_uploads(
    session: AsyncSession, photo_ids: Sequence[uuid.UUID], *, uploader_id: uuid.UUID
) -> set[uuid.UUID]:
    """Those of `photo_ids` that are uploads of `uploader_id` not attached yet, locked."""
    rows = await session.execute(_LOCK_FREE, {"ids": list(photo_ids), "uploader_id": uploader_id})
    return set(rows.scalars())


async def attach(session: AsyncSession, progress_id: uuid.UUID, photo_ids: Sequence[uuid.UUID]) -> None:
    """Attach uploads to a note, in the order given."""
    if photo_ids:
        await session.execute(_ATTACH, {"progress_id": progress_id, "ids": list(photo_ids)})


async def notes(session: AsyncSession, alarm_id: uuid.UUID) -> list[NoteRow]:
    return [_note(row) for row in await session.execute(_NOTES, {"alarm_id": alarm_id})]


async def photos_of(session: AsyncSession, progress_ids: Iterable[uuid.UUID]) -> list[PhotoRow]:
    ids = list(progress_ids)
    if not ids:
        return []
    rows = await session.execute(_PHOTOS, {"ids": ids})
    return [PhotoRow(**row._asdict()) for row in rows]


async def delete_unattached(session: AsyncSession, *, older_than: datetime) -> set[str]:
    """Remove uploads never attached and older than `older_than`; the blob keys they named."""
    rows = await session.execute(_DELETE_UNATTACHED, {"older_than": older_than})
    return {key for row in rows for key in (row.media_key, row.thumbnail_key)}


async def keys_in_use(session: AsyncSession, keys: Iterable[str]) -> set[str]:
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    return {str(key) for key in (await session.execute(_KEYS_IN_USE, {"keys": wanted})).scalars()}


async def resolve_alarm(session: AsyncSession, alarm_id: uuid.UUID, by: uuid.UUID, now: datetime) -> bool:
    """Clear an active alarm assigned to `by` as resolved; False when it is not (any more)."""
    return await session.scalar(_RESOLVE, {"id": alarm_id, "by": by, "now": now}) is not None
