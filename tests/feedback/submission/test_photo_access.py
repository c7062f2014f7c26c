"""Who may fetch a photo: the URL's signature is the capability. Public reports' photos are signed for ever
and cacheable by anyone; private reports' photos and unattached uploads for a window, privately cached; an
unsigned, tampered or expired URL is the same 404 as a missing file."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.media import media_storage
from core.media.signing import media_urls
from core.settings import Settings
from feedback.reports.models import ReportPhoto
from feedback.submission.photos import attach_photos, store_upload
from tests.feedback.submission.helpers import UPLOAD, png
from tests.feedback.support import insert_report
from tests.support.people import PersonFactory

REPORTS = "/api/v1/feedback"


def _unique_png() -> bytes:
    # Content-addressed storage: distinct bytes keep the files of parallel tests apart.
    return png((secrets.randbelow(256), secrets.randbelow(256), secrets.randbelow(256)))


def _key(url: str) -> str:
    return urlsplit(url).path.removeprefix("/media/")


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


async def _report_with_photo(
    session: AsyncSession, settings: Settings, person: PersonFactory, *, public: bool
) -> tuple[Any, ReportPhoto]:
    citizen = await person()
    report = await insert_report(session, reporter=citizen, is_public=public)
    photo = await store_upload(
        session, media_storage(settings), settings, _unique_png(), uploader_id=citizen.id
    )
    await attach_photos(session, report.id, [photo.id], uploader_id=citizen.id, kind="report")
    return citizen, photo


def _assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_found"


async def test_unsigned_or_tampered_urls_are_404(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    _, photo = await _report_with_photo(catalogue, settings, person, public=True)
    response = await client.get(f"{REPORTS}/{photo.report_id}")
    url = response.json()["photos"][0]["url"]
    signed = _query(url)
    bare = f"/media/{photo.media_key}"
    _assert_not_found(await client.get(bare))
    _assert_not_found(await client.get(bare, params={"exp": signed["exp"]}))
    _assert_not_found(await client.get(bare, params={"exp": signed["exp"], "sig": "A" * 22}))
    _assert_not_found(await client.get(bare, params={"exp": "1", "sig": signed["sig"]}))
    _assert_not_found(await client.get(bare, params={"exp": "soon", "sig": signed["sig"]}))
    # A valid signature for one file opens no other.
    other = f"/media/{photo.thumbnail_key}"
    _assert_not_found(await client.get(other, params=signed))
    assert (await client.get(url)).status_code == 200


async def test_a_public_reports_photo_is_signed_for_ever_and_cached_by_anyone(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    _, photo = await _report_with_photo(catalogue, settings, person, public=True)
    view = (await client.get(f"{REPORTS}/{photo.report_id}")).json()["photos"][0]
    assert _key(view["url"]) == photo.media_key
    assert _query(view["url"])["exp"] == "0"
    for url in (view["url"], view["thumbnail_url"]):
        response = await client.get(url)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_a_private_reports_photo_works_for_its_window_privately_then_expires(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    citizen, photo = await _report_with_photo(catalogue, settings, person, public=False)
    assert (await client.get(f"{REPORTS}/{photo.report_id}")).status_code == 404
    view = (await client.get(f"{REPORTS}/{photo.report_id}", headers=citizen.headers)).json()["photos"][0]
    expires = int(_query(view["url"])["exp"])
    now = datetime.now(UTC).timestamp()
    assert now + 3600 <= expires <= now + 7200
    response = await client.get(view["url"])
    assert response.status_code == 200, response.text
    cache = response.headers["cache-control"]
    assert cache.startswith("private, max-age=")
    assert 0 < int(cache.removeprefix("private, max-age=")) <= expires - now + 1
    past = int((datetime.now(UTC) - timedelta(seconds=1)).timestamp())
    _assert_not_found(await client.get(media_urls(settings).url_until(photo.media_key, past)))
    assert _query(view["thumbnail_url"])["exp"] == str(expires)


async def test_an_unattached_upload_is_private(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    photo = (
        await client.post(
            UPLOAD, files={"file": ("a.png", _unique_png(), "image/png")}, headers=citizen.headers
        )
    ).json()
    assert _query(photo["url"])["exp"] != "0"
    response = await client.get(photo["url"])
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private, max-age=")
