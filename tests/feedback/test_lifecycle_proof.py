"""Resolving with proof photos: the resolver's own uploads are attached as proof; anyone else's are refused
and the report stays in progress."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from core.settings import Settings
from feedback.photos import store_upload
from feedback.route_deps import media_storage
from feedback.status import ReportStatus
from tests.feedback import lifecycle_support as seen
from tests.feedback.lifecycle_support import post, problem
from tests.feedback.support import WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_resolve_with_proof_photos(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    field, other = await person(Role.FIELD_STAFF, WARD), await person(Role.FIELD_STAFF, WARD)
    report = await insert_report(session, reporter=await person(), status=ReportStatus.IN_PROGRESS)
    storage = media_storage(settings)
    mine = [
        await store_upload(session, storage, settings, png((i * 60, 10, 10)), uploader_id=field.id)
        for i in range(2)
    ]
    theirs = await store_upload(session, storage, settings, png((0, 200, 0)), uploader_id=other.id)

    before = await seen.state(session, report.id)
    problem(
        await post(
            client,
            report.id,
            "resolve",
            field.headers,
            {"answer": "Xong", "proof_photo_ids": [str(theirs.id)]},
        ),
        422,
        "photo_not_found",
    )
    assert await seen.state(session, report.id) == before

    response = await post(
        client,
        report.id,
        "resolve",
        field.headers,
        {"answer": "Đã sửa", "proof_photo_ids": [str(p.id) for p in mine]},
    )
    assert response.status_code == 200, response.text
    read = response.json()
    assert [p["id"] for p in read["proof_photos"]] == [str(p.id) for p in mine]
    assert read["photos"] == []
    entry = (await seen.timeline(session, report.id))[-1]
    assert entry["data"] == {"proof_photo_ids": [str(p.id) for p in mine]}
