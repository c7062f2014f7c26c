"""Deleting a citizen's account deletes the photos of their private reports (rows and files), keeps those of
their public reports, and keeps a file another report's photo still uses."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from core.media import media_storage
from core.settings import Settings
from feedback.submission.photos import attach_photos, store_upload
from tests.feedback.submission.helpers import png
from tests.feedback.support import insert_report
from tests.support.events import eventually
from tests.support.people import Person, PersonFactory


async def _gone(paths: tuple[Path, ...]) -> bool:
    return not any(path.exists() for path in paths)


def _unique_png() -> bytes:
    return png((secrets.randbelow(256), secrets.randbelow(256), secrets.randbelow(256)))


async def _photo(
    session: AsyncSession, settings: Settings, owner: Person, *, public: bool, data: bytes | None = None
) -> tuple[Path, Path]:
    report = await insert_report(session, reporter=owner, is_public=public)
    photo = await store_upload(
        session, media_storage(settings), settings, data or _unique_png(), uploader_id=owner.id
    )
    await attach_photos(session, report.id, [photo.id], uploader_id=owner.id, kind="report")
    root = Path(settings.media_root)
    return root / photo.media_key, root / photo.thumbnail_key


async def test_deleting_an_account_removes_its_private_reports_photos_only(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    citizen = await person(Role.CITIZEN)
    other = await person(Role.CITIZEN)
    private = await _photo(catalogue, settings, citizen, public=False)
    public = await _photo(catalogue, settings, citizen, public=True)
    shared_bytes = _unique_png()
    shared = await _photo(catalogue, settings, citizen, public=False, data=shared_bytes)
    # The same picture on another citizen's report: one content-addressed file for both rows.
    assert await _photo(catalogue, settings, other, public=True, data=shared_bytes) == shared
    assert all(path.is_file() for path in (*private, *public, *shared))

    assert (await client.delete("/api/v1/me", headers=citizen.headers)).status_code == 204

    # Files go in a worker thread once the deletion has committed.
    await eventually(lambda: _gone(private), "the private report's photo files to be removed")
    assert all(path.is_file() for path in (*public, *shared))
    left = await catalogue.scalar(
        text(
            "SELECT count(*) FROM feedback_photos p JOIN feedback_reports r ON r.id = p.report_id "
            "WHERE r.reporter_id = :id AND NOT r.is_public"
        ),
        {"id": citizen.id},
    )
    assert left == 0
