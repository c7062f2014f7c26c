"""Photos of reports: sanitise and store an upload, attach uploads to a report, remove forgotten uploads.

An upload is stored at once (sanitised, no EXIF or GPS) and waits, unattached, until a submission or a
resolution names it. Blobs are content-addressed, so two rows may share one blob: a blob is deleted only when
no row refers to it any more.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.media import (
    DecoderBusyError,
    MediaRejectedError,
    MediaStorage,
    ProcessedImage,
    decode_pool,
    delete_async,
    put_async,
    sanitise_async,
)
from core.settings import Settings
from feedback.reports import repository as reports_repository
from feedback.reports.models import MAX_PHOTOS, ReportPhoto
from feedback.submission import repository

PHOTO_KINDS = frozenset({"report", "proof"})


def rejected(error: MediaRejectedError) -> ProblemError:
    """The API's answer to a refused file: 413 when too large, 422 for everything else."""
    return ProblemError(413 if error.code == "image_too_large" else 422, error.code, error.message)


def busy(retry_after: int) -> ProblemError:
    return ProblemError(
        503,
        "media_busy",
        Message(
            f"Đang xử lý nhiều ảnh, vui lòng thử lại sau {retry_after} giây",
            f"Many photos are being processed, try again in {retry_after} seconds",
        ),
        extensions={"retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def too_large(max_bytes: int) -> ProblemError:
    megabytes = max_bytes / (1024 * 1024)
    return ProblemError(
        413,
        "image_too_large",
        Message(f"Ảnh vượt quá {megabytes:.0f} MB", f"The image is larger than {megabytes:.0f} MB"),
    )


def too_many_photos(limit: int = MAX_PHOTOS) -> ProblemError:
    return ProblemError(
        422,
        "too_many_photos",
        Message(f"Mỗi phản ánh có tối đa {limit} ảnh", f"A report has at most {limit} photos"),
        extensions={"max_photos": limit},
    )


def photo_not_found(photo_ids: Sequence[uuid.UUID]) -> ProblemError:
    listed = ", ".join(str(photo_id) for photo_id in photo_ids)
    return ProblemError(
        422,
        "photo_not_found",
        Message(
            f"Không tìm thấy ảnh đã tải lên: {listed}", f"No uploaded photo of yours is free to use: {listed}"
        ),
        extensions={"photo_ids": [str(photo_id) for photo_id in photo_ids]},
    )


async def prepare_upload(settings: Settings, data: bytes) -> ProcessedImage:
    """Check and sanitise a photo without storing anything (the CPU work runs off the event loop)."""
    if len(data) > settings.media_max_bytes:
        raise too_large(settings.media_max_bytes)
    pool = decode_pool(settings.media_decode_workers, settings.media_decode_wait_seconds)
    try:
        return await sanitise_async(
            data, max_bytes=settings.media_max_bytes, max_pixels=settings.media_max_pixels, pool=pool
        )
    except MediaRejectedError as error:
        raise rejected(error) from error
    except DecoderBusyError as error:
        raise busy(error.retry_after) from error


async def save_upload(
    session: AsyncSession, storage: MediaStorage, processed: ProcessedImage, *, uploader_id: uuid.UUID | None
) -> ReportPhoto:
    """Store a prepared photo and its thumbnail, and record the upload, not yet attached."""
    media_key = await put_async(storage, processed.image.data, processed.image.content_type)
    thumbnail_key = await put_async(storage, processed.thumbnail.data, processed.thumbnail.content_type)
    photo = ReportPhoto(
        id=uuid.uuid4(),
        uploader_id=uploader_id,
        media_key=media_key,
        thumbnail_key=thumbnail_key,
        content_type=processed.image.content_type,
        width=processed.image.width,
        height=processed.image.height,
        byte_size=len(processed.image.data),
    )
    session.add(photo)
    await session.flush()
    return photo


async def store_upload(
    session: AsyncSession,
    storage: MediaStorage,
    settings: Settings,
    data: bytes,
    *,
    uploader_id: uuid.UUID | None,
) -> ReportPhoto:
    """Check, sanitise (EXIF and GPS gone), thumbnail and store one photo, not yet attached to a report.
    Raises ProblemError (422 not_an_image, unsupported_image_type, image_corrupt...; 413 image_too_large)."""
    processed = await prepare_upload(settings, data)
    return await save_upload(session, storage, processed, uploader_id=uploader_id)


async def ensure_uploads_free(
    session: AsyncSession, photo_ids: Sequence[uuid.UUID], *, uploader_id: uuid.UUID | None
) -> None:
    """Check that each id is an upload of `uploader_id` not attached yet, and lock them until the end of the
    transaction, so that two submissions naming the same upload cannot both take it. 422 too_many_photos
    beyond MAX_PHOTOS, 422 photo_not_found listing the ids that are not free."""
    if not photo_ids:
        return
    if len(photo_ids) > MAX_PHOTOS:
        raise too_many_photos()
    if len(set(photo_ids)) != len(photo_ids):
        duplicated = [photo_id for photo_id in dict.fromkeys(photo_ids) if photo_ids.count(photo_id) > 1]
        raise photo_not_found(duplicated)
    free = await repository.lock_free_uploads(session, photo_ids, uploader_id=uploader_id)
    if missing := [photo_id for photo_id in photo_ids if photo_id not in free]:
        raise photo_not_found(missing)


async def attach_checked(
    session: AsyncSession,
    report_id: uuid.UUID,
    photo_ids: Sequence[uuid.UUID],
    *,
    kind: str = "report",
    first_position: int = 0,
) -> list[ReportPhoto]:
    """Attach uploads already checked by ensure_uploads_free, in order from `first_position`."""
    if kind not in PHOTO_KINDS:
        raise ValueError(f"unknown photo kind {kind!r}")
    attached: list[ReportPhoto] = []
    for position, photo_id in enumerate(photo_ids, start=first_position):
        photo = await repository.attach_upload(session, photo_id, report_id, kind=kind, position=position)
        attached.append(photo)
    return attached


async def attach_photos(
    session: AsyncSession,
    report_id: uuid.UUID,
    photo_ids: Sequence[uuid.UUID],
    *,
    uploader_id: uuid.UUID | None,
    kind: str = "report",
) -> list[ReportPhoto]:
    """Attach uploads of `uploader_id` to a report, in order. 422 photo_not_found for an unknown id, one of
    someone else, or one already attached; 422 too_many_photos beyond MAX_PHOTOS of that kind. Nothing is
    changed when it refuses."""
    if kind not in PHOTO_KINDS:
        raise ValueError(f"unknown photo kind {kind!r}")
    if not photo_ids:
        return []
    await ensure_uploads_free(session, photo_ids, uploader_id=uploader_id)
    already = await reports_repository.photo_count(session, report_id, kind)
    if already + len(photo_ids) > MAX_PHOTOS:
        raise too_many_photos()
    return await attach_checked(session, report_id, photo_ids, kind=kind, first_position=already)


async def delete_stale_uploads(session: AsyncSession, storage: MediaStorage, *, older_than: datetime) -> int:
    """Remove uploads never attached to a report and created before `older_than`, and their blobs unless
    another photo uses the same bytes. Returns how many uploads were removed."""
    removed = await repository.delete_unattached(session, older_than=older_than)
    keys = {key for row in removed for key in row}
    if keys:
        in_use = await repository.keys_in_use(session, keys)
        for key in sorted(keys - in_use):
            await delete_async(storage, key)
    return len(removed)
