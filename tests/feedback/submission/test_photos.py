"""Photo uploads: sanitised (no EXIF, no GPS), thumbnailed, served by signed URL; refused files change
nothing; attaching checks ownership and limits; forgotten uploads are removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ProblemError
from core.identity.principal import Role
from core.media import media_storage
from core.settings import Settings
from feedback.submission.photos import attach_photos, delete_stale_uploads, store_upload
from tests.feedback.submission.helpers import (
    GPS_IFD,
    UPLOAD,
    assert_problem,
    counts,
    fresh_categories,
    has_exif,
    jpeg_with_gps,
    png,
)
from tests.feedback.support import WARD, insert_report
from tests.support.people import PersonFactory

__all__ = ["fresh_categories"]


def _files(settings: Settings) -> list[Path]:
    return sorted(Path(settings.media_root).rglob("*"))


def _stored(settings: Settings, url: str) -> Path:
    path = url.split("?")[0]
    return Path(settings.media_root) / path.removeprefix(settings.media_url_prefix.rstrip("/") + "/")


async def test_upload_is_stored_without_exif_or_gps(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    citizen = await person()
    original = jpeg_with_gps(size=(800, 600))
    response = await client.post(
        UPLOAD, files={"file": ("street.jpg", original, "image/jpeg")}, headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    photo = response.json()
    assert (photo["content_type"], photo["width"], photo["height"]) == ("image/jpeg", 800, 600)
    stored = _stored(settings, photo["url"]).read_bytes()
    assert stored != original
    assert not has_exif(stored)
    with Image.open(BytesIO(stored)) as image:
        assert not image.getexif().get_ifd(GPS_IFD)
        assert image.size == (800, 600)
    with Image.open(BytesIO(_stored(settings, photo["thumbnail_url"]).read_bytes())) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert max(thumbnail.size) <= 320
    row = (
        await session.execute(
            text("SELECT report_id, uploader_id, kind, byte_size FROM feedback_photos WHERE id = :id"),
            {"id": photo["id"]},
        )
    ).one()
    assert (row.report_id, row.uploader_id, row.kind, row.byte_size) == (
        None,
        citizen.id,
        "report",
        len(stored),
    )


async def test_staff_upload_proof_photos_too(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.FIELD_STAFF, WARD)
    response = await client.post(
        UPLOAD, files={"file": ("fixed.png", png(), "image/png")}, headers=officer.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("fake.jpg", b"this is not a jpeg at all" * 4, 422, "not_an_image"),
        ("anim.gif", b"GIF89a" + b"\x00" * 64, 422, "unsupported_image_type"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 40, 422, "image_corrupt"),
        ("empty.jpg", b"", 422, "not_an_image"),
    ],
)
async def test_refused_files_change_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    person: PersonFactory,
    settings: Settings,
    name: str,
    data: bytes,
    status: int,
    code: str,
) -> None:
    citizen = await person()
    before = await counts(session)
    files_before = _files(settings)
    response = await client.post(UPLOAD, files={"file": (name, data, "image/jpeg")}, headers=citizen.headers)
    assert_problem(response, status, code)
    assert await counts(session) == before
    assert _files(settings) == files_before


async def test_a_file_beyond_the_limit_is_413(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    citizen = await person()
    before = await counts(session)
    data = jpeg_with_gps() + b"\x00" * settings.media_max_bytes
    response = await client.post(
        UPLOAD, files={"file": ("big.jpg", data, "image/jpeg")}, headers=citizen.headers
    )
    assert_problem(response, 413, "image_too_large")
    assert await counts(session) == before


async def test_upload_needs_a_signed_in_user_and_a_file(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    before = await counts(session)
    assert_problem(
        await client.post(UPLOAD, files={"file": ("a.png", png(), "image/png")}), 401, "unauthenticated"
    )
    assert_problem(
        await client.post(UPLOAD, files={"other": ("a.png", png(), "image/png")}, headers=citizen.headers),
        422,
        "validation_error",
    )
    assert await counts(session) == before


async def test_an_unattached_upload_is_served_privately(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    photo = (
        await client.post(UPLOAD, files={"file": ("a.png", png(), "image/png")}, headers=citizen.headers)
    ).json()
    response = await client.get(photo["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    # Not on a public report yet: shared caches may not keep it (public photos: test_photo_access.py).
    assert response.headers["cache-control"].startswith("private, max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content.startswith(b"\x89PNG")
    thumbnail = await client.get(photo["thumbnail_url"])
    assert thumbnail.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(
    "path",
    [
        "/media/" + "ab/cd/" + "0" * 64 + ".jpg",
        "/media/../../etc/passwd",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/ab/cd/" + "ab" + "c" * 62 + ".jpg",
        "/media/nothing",
    ],
)
async def test_unknown_or_invalid_media_keys_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_attach_checks_owner_order_and_limit(
    catalogue: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    citizen = await person()
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(catalogue, reporter=citizen)
    storage = media_storage(settings)
    proofs = [
        await store_upload(catalogue, storage, settings, png((index, 5, 5)), uploader_id=officer.id)
        for index in range(6)
    ]
    with pytest.raises(ProblemError) as refused:
        await attach_photos(catalogue, report.id, [proofs[0].id], uploader_id=citizen.id, kind="proof")
    assert refused.value.code == "photo_not_found"
    first = await attach_photos(
        catalogue, report.id, [proofs[2].id, proofs[0].id], uploader_id=officer.id, kind="proof"
    )
    assert [(photo.id, photo.position, photo.kind) for photo in first] == [
        (proofs[2].id, 0, "proof"),
        (proofs[0].id, 1, "proof"),
    ]
    with pytest.raises(ProblemError) as refused:
        await attach_photos(
            catalogue,
            report.id,
            [p.id for p in proofs[3:]] + [proofs[1].id],
            uploader_id=officer.id,
            kind="proof",
        )
    assert refused.value.code == "too_many_photos"
    later = await attach_photos(catalogue, report.id, [proofs[1].id], uploader_id=officer.id, kind="proof")
    assert later[0].position == 2
    unattached = await catalogue.scalar(
        text("SELECT count(*) FROM feedback_photos WHERE report_id IS NULL AND uploader_id = :id"),
        {"id": officer.id},
    )
    assert unattached == 3


async def test_stale_uploads_are_removed_with_their_files(
    catalogue: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    citizen = await person()
    storage = media_storage(settings)
    report = await insert_report(catalogue, reporter=citizen)
    old = await store_upload(catalogue, storage, settings, png((250, 0, 0)), uploader_id=citizen.id)
    shared_old = await store_upload(catalogue, storage, settings, png((0, 250, 0)), uploader_id=citizen.id)
    # Same bytes, attached: the blob must survive the removal of the old upload that shares it.
    attached = await store_upload(catalogue, storage, settings, png((0, 250, 0)), uploader_id=citizen.id)
    await attach_photos(catalogue, report.id, [attached.id], uploader_id=citizen.id)
    recent = await store_upload(catalogue, storage, settings, png((0, 0, 250)), uploader_id=citizen.id)
    await catalogue.execute(
        text("UPDATE feedback_photos SET created_at = now() - interval '2 days' WHERE id IN (:a, :b, :c)"),
        {"a": old.id, "b": shared_old.id, "c": attached.id},
    )
    removed = await delete_stale_uploads(catalogue, storage, older_than=datetime.now(UTC) - timedelta(days=1))
    assert removed == 2
    left = set(
        (
            await catalogue.execute(
                text("SELECT id FROM feedback_photos WHERE id IN (:a, :b, :c, :d)"),
                {"a": old.id, "b": shared_old.id, "c": attached.id, "d": recent.id},
            )
        ).scalars()
    )
    assert left == {attached.id, recent.id}
    root = Path(settings.media_root)
    assert not (root / old.media_key).exists()
    assert not (root / old.thumbnail_key).exists()
    assert (root / attached.media_key).exists()
    assert (root / recent.media_key).exists()
    day_ago = datetime.now(UTC) - timedelta(days=1)
    assert await delete_stale_uploads(catalogue, storage, older_than=day_ago) == 0
