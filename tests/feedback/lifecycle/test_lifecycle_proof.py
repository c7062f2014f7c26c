"""Resolving with proof photos: the resolver's own uploads are attached as proof; anyone else's are refused
and the report stays in progress."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from core.media import media_storage
from core.settings import Settings
from feedback.reports.models import MAX_PHOTOS
from feedback.reports.status import ReportStatus
from feedback.submission.photos import store_upload
from tests.feedback.lifecycle import helpers as seen
from tests.feedback.lifecycle.helpers import BASE, post, problem
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
    report = await insert_report(
        session, reporter=await person(), status=ReportStatus.IN_PROGRESS, assignee_id=field.id
    )
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


async def test_reopen_clears_the_answer_and_the_next_resolution_has_its_own_proofs(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    reporter, field = await person(), await person(Role.FIELD_STAFF, WARD)
    report = await insert_report(
        session, reporter=reporter, status=ReportStatus.IN_PROGRESS, assignee_id=field.id
    )
    storage = media_storage(settings)

    async def uploads(shade: int) -> list[str]:
        return [
            str(
                (
                    await store_upload(
                        session, storage, settings, png((shade, i * 40, 0)), uploader_id=field.id
                    )
                ).id
            )
            for i in range(MAX_PHOTOS)
        ]

    first = await uploads(10)
    resolved = await post(
        client, report.id, "resolve", field.headers, {"answer": "Đã vá", "proof_photo_ids": first}
    )
    assert resolved.status_code == 200, resolved.text

    reopened = await post(client, report.id, "reopen", reporter.headers, {"reason": "Lại hỏng"})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["resolution"] is None
    public = await client.get(f"{BASE}/by-code/{report.code}")
    assert public.status_code == 200, public.text
    assert public.json()["resolution"] is None
    row = await seen.row(session, report.id)
    assert row["resolution"] is None
    assert row["status_notes"] is None

    await session.execute(
        text("UPDATE feedback_reports SET status = 'in_progress' WHERE id = :id"), {"id": report.id}
    )
    second = await uploads(200)
    again = await post(
        client, report.id, "resolve", field.headers, {"answer": "Đã làm lại", "proof_photo_ids": second}
    )
    assert again.status_code == 200, again.text
    assert again.json()["resolution"] == "Đã làm lại"
    # The earlier proofs stay, numbered before the new ones.
    assert [p["id"] for p in again.json()["proof_photos"]] == first + second
