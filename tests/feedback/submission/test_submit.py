"""Filing a report through the API: JSON and multipart, routing, numbering, deadlines, timeline and event."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import working_calendar
from core.identity.ratelimit import Limit
from core.settings import Settings
from tests.feedback.submission.helpers import (
    SUBMIT,
    UPLOAD,
    assert_problem,
    body,
    counts,
    fresh_categories,
    has_exif,
    jpeg_with_gps,
    multipart,
    png,
)
from tests.feedback.support import IN_OTHER_WARD, OTHER_WARD, PROVINCE, WARD
from tests.support.people import PersonFactory

__all__ = ["fresh_categories"]
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_json_submission_is_filed_routed_and_timed(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    response = await client.post(
        SUBMIT, json=body(answers={"size": "medium", "lanes_blocked": 1}), headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert response.headers["location"] == f"/api/v1/feedback/{report['id']}"
    created = _at(report["created_at"])
    assert report["code"] == f"PA-{created.astimezone(VIETNAM).year}-{report['code'][-6:]}"
    assert re.fullmatch(r"PA-\d{4}-\d{6}", report["code"])
    assert report["status"] == "submitted"
    assert (report["ward_code"], report["unit_code"], report["province_code"]) == (WARD, WARD, PROVINCE)
    assert report["department_code"] == "SXD"
    assert report["answers"] == {"size": "medium", "lanes_blocked": 1}
    assert report["location"] == {"lat": 20.43, "lon": 106.175}
    assert report["address"] == "12 Trần Hưng Đạo"
    assert (report["anonymous"], report["is_public"], report["urgent"]) == (False, True, False)
    assert report["photos"] == []
    # The working calendar, not the wall clock: road damage is acknowledged in 8 hours, fixed in 5 days.
    calendar = working_calendar()
    assert _at(report["acknowledge_due_at"]) == calendar.add_working_hours(created, 8)
    assert _at(report["resolve_due_at"]) == calendar.add_working_days(created, 5)
    assert [(entry["kind"], entry["to_status"], entry["actor_role"]) for entry in report["timeline"]] == [
        ("submitted", "submitted", "citizen")
    ]

    row = (
        await catalogue.execute(
            text("SELECT reporter_id, source, description FROM feedback_reports WHERE id = :id"),
            {"id": report["id"]},
        )
    ).one()
    assert (row.reporter_id, row.source) == (citizen.id, "app")
    actor = await catalogue.scalar(
        text("SELECT actor_id FROM feedback_timeline WHERE report_id = :id"), {"id": report["id"]}
    )
    assert actor == citizen.id
    event = (
        await catalogue.execute(
            text("SELECT type, unit_code, data FROM event_outbox WHERE subject_id = :id"),
            {"id": report["id"]},
        )
    ).one()
    assert (event.type, event.unit_code) == ("feedback.created", WARD)
    assert str(citizen.id) not in str(event.data)  # the live channel never names the reporter


async def test_flags_urgency_and_routing_by_place_and_category(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    lat, lon = IN_OTHER_WARD
    response = await client.post(
        SUBMIT,
        json=body(
            category_code="waste",
            answers={"waste_type": ["household", "bulky"]},
            location={"lat": lat, "lon": lon},
            anonymous=True,
            is_public=False,
            urgent=True,
            address=None,
        ),
        headers=citizen.headers,
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["ward_code"], report["unit_code"], report["department_code"]) == (
        OTHER_WARD,
        OTHER_WARD,
        "SNNMT",
    )
    assert (report["anonymous"], report["is_public"], report["urgent"]) == (True, False, True)
    assert report["address"] is None
    created = _at(report["created_at"])
    calendar = working_calendar()
    # Urgent: 4 working hours to acknowledge, whatever the category says (waste: 8).
    assert _at(report["acknowledge_due_at"]) == calendar.add_working_hours(created, 4)
    assert _at(report["resolve_due_at"]) == calendar.add_working_days(created, 2)
    stored = (
        await catalogue.execute(
            text("SELECT anonymous, is_public, urgent FROM feedback_reports WHERE id = :id"),
            {"id": report["id"]},
        )
    ).one()
    assert tuple(stored) == (True, False, True)


async def test_numbers_follow_each_other(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    first = (await client.post(SUBMIT, json=body(), headers=citizen.headers)).json()["code"]
    second = (await client.post(SUBMIT, json=body(), headers=citizen.headers)).json()["code"]
    assert int(second.rsplit("-", 1)[1]) > int(first.rsplit("-", 1)[1])


async def test_multipart_submission_stores_clean_photos_in_order(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    citizen = await person()
    photos = [jpeg_with_gps((200, 0, 0)), png((0, 0, 200))]
    response = await client.post(SUBMIT, headers=citizen.headers, **multipart(body(), photos))
    assert response.status_code == 201, response.text
    report = response.json()
    assert [photo["content_type"] for photo in report["photos"]] == ["image/jpeg", "image/png"]
    for photo in report["photos"]:
        assert photo["url"].startswith(settings.media_url_prefix + "/")
        served = await client.get(photo["url"])
        assert served.status_code == 200
        assert not has_exif(served.content)
        stored = Path(settings.media_root) / photo["url"].split("?")[0].removeprefix(
            settings.media_url_prefix + "/"
        )
        assert stored.read_bytes() == served.content
    positions = (
        await catalogue.execute(
            text("SELECT position, uploader_id FROM feedback_photos WHERE report_id = :id ORDER BY position"),
            {"id": report["id"]},
        )
    ).all()
    assert [(row.position, row.uploader_id) for row in positions] == [(0, citizen.id), (1, citizen.id)]


async def test_uploaded_photos_are_attached_in_the_given_order(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    first = (
        await client.post(
            UPLOAD, files={"file": ("a.jpg", jpeg_with_gps((1, 2, 3)), "image/jpeg")}, headers=citizen.headers
        )
    ).json()
    second = (
        await client.post(
            UPLOAD, files={"file": ("b.png", png((9, 9, 9)), "image/png")}, headers=citizen.headers
        )
    ).json()
    response = await client.post(
        SUBMIT, json=body(photo_ids=[second["id"], first["id"]]), headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    assert [photo["id"] for photo in response.json()["photos"]] == [second["id"], first["id"]]
    attached = await catalogue.scalar(
        text("SELECT count(*) FROM feedback_photos WHERE report_id = :id"), {"id": response.json()["id"]}
    )
    assert attached == 2


async def test_multipart_photos_follow_uploaded_ones(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    uploaded = (
        await client.post(
            UPLOAD, files={"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")}, headers=citizen.headers
        )
    ).json()
    response = await client.post(
        SUBMIT, headers=citizen.headers, **multipart(body(photo_ids=[uploaded["id"]]), [png()])
    )
    assert response.status_code == 201, response.text
    photos = response.json()["photos"]
    assert [photo["content_type"] for photo in photos] == ["image/jpeg", "image/png"]
    assert photos[0]["id"] == uploaded["id"]


async def test_submissions_are_rate_limited_per_citizen(
    client: httpx.AsyncClient,
    catalogue: AsyncSession,
    person: PersonFactory,
    redis: Redis,
    settings: Settings,
) -> None:
    citizen = await person()
    other = await person()
    # The citizen has already filed the hour's allowance.
    limit = Limit("feedback:submit", str(citizen.id), settings.feedback_submissions_per_hour, 3600)
    now_ms = int(datetime.now().timestamp() * 1000)
    allowance = settings.feedback_submissions_per_hour
    await redis.zadd(limit.key, {uuid.uuid4().hex: now_ms for _ in range(allowance)})
    before = await counts(catalogue)
    response = await client.post(SUBMIT, json=body(), headers=citizen.headers)
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) > 0
    assert await counts(catalogue) == before
    assert (await client.post(SUBMIT, json=body(), headers=other.headers)).status_code == 201


async def test_a_refused_report_does_not_use_up_the_allowance(
    client: httpx.AsyncClient,
    catalogue: AsyncSession,
    person: PersonFactory,
    redis: Redis,
    settings: Settings,
) -> None:
    citizen = await person()
    limit = Limit("feedback:submit", str(citizen.id), settings.feedback_submissions_per_hour, 3600)
    response = await client.post(SUBMIT, json=body(category_code="no_such"), headers=citizen.headers)
    assert response.status_code == 422
    assert await redis.zcard(limit.key) == 0
    assert (await client.post(SUBMIT, json=body(), headers=citizen.headers)).status_code == 201
    assert await redis.zcard(limit.key) == 1


async def test_only_citizens_submit(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    from core.identity.principal import Role

    officer = await person(Role.OFFICER, WARD)
    before = await counts(catalogue)
    assert_problem(await client.post(SUBMIT, json=body(), headers=officer.headers), 403, "forbidden")
    assert_problem(await client.post(SUBMIT, json=body()), 401, "unauthenticated")
    assert await counts(catalogue) == before
