"""Edge cases of the lifecycle: merging into private reports, deadlines of submitted reports, a new unit
naming its assignee, locking on "me too", reopening and proofs, NUL characters and extreme time offsets."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.identity.principal import Role
from core.settings import Settings
from feedback.photos import store_upload
from feedback.report_models import MAX_PHOTOS
from feedback.route_deps import media_storage, working_calendar
from feedback.sla import run_sla_pass
from feedback.status import ReportStatus
from tests.feedback import lifecycle_support as seen
from tests.feedback.lifecycle_support import BASE, post, problem
from tests.feedback.support import OTHER_WARD, WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")


async def _user_ids(session: AsyncSession, table: str, report_id: uuid.UUID) -> set[uuid.UUID]:
    query = {
        "followers": "SELECT user_id FROM feedback_followers WHERE report_id = :r",
        "supports": "SELECT user_id FROM feedback_supports WHERE report_id = :r",
    }[table]
    return {r.user_id for r in await session.execute(text(query), {"r": report_id})}


# -- 1. merging --------------------------------------------------------------------------------------------


async def test_merge_into_another_citizens_private_report_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    owner, other, follower = await person(), await person(), await person()
    officer = await person(Role.OFFICER, WARD)
    private_target = await insert_report(
        session, reporter=owner, status=ReportStatus.ACCEPTED, is_public=False
    )
    public_source = await insert_report(session, reporter=other)
    own_public_source = await insert_report(session, reporter=owner)
    await seen.follow(session, public_source.id, follower.id)
    before = {
        r: await seen.state(session, r) for r in (private_target.id, public_source.id, own_public_source.id)
    }

    for source in (public_source, own_public_source):
        body = problem(
            await post(
                client,
                source.id,
                "merge",
                officer.headers,
                {"into_report_id": str(private_target.id), "reason": "Trùng"},
            ),
            422,
            "invalid_merge",
        )
        assert "riêng tư" in body["detail"], body
    assert {r: await seen.state(session, r) for r in before} == before
    assert await _user_ids(session, "followers", private_target.id) == set()


async def test_a_private_report_merges_into_its_reporters_other_private_report(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    owner = await person()
    officer = await person(Role.OFFICER, WARD)
    target = await insert_report(session, reporter=owner, status=ReportStatus.ACCEPTED, is_public=False)
    source = await insert_report(session, reporter=owner, is_public=False)
    response = await post(
        client,
        source.id,
        "merge",
        officer.headers,
        {"into_report_id": str(target.id), "reason": "Gửi hai lần"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["merged_into_code"] == target.code


async def test_the_target_reporters_support_of_the_source_is_not_moved(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    target_reporter, source_reporter, neighbour = await person(), await person(), await person()
    officer = await person(Role.OFFICER, WARD)
    target = await insert_report(session, reporter=target_reporter, status=ReportStatus.ACCEPTED)
    source = await insert_report(session, reporter=source_reporter)
    await seen.support(session, source.id, target_reporter.id, neighbour.id)

    response = await post(
        client,
        source.id,
        "merge",
        officer.headers,
        {"into_report_id": str(target.id), "reason": "Cùng một ổ gà"},
    )
    assert response.status_code == 200, response.text
    assert await _user_ids(session, "supports", target.id) == {neighbour.id}
    assert await _user_ids(session, "supports", source.id) == set()
    assert (await seen.row(session, target.id))["support_count"] == 1


# -- 2. extending a submitted report's deadline ------------------------------------------------------------


async def test_extending_a_submitted_overdue_report_does_not_make_it_overdue_twice(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    now = datetime.now(UTC)
    report = await insert_report(
        session,
        reporter=await person(),
        created_at=now - timedelta(days=3),
        acknowledge_due_at=now - timedelta(hours=1),
        resolve_due_at=now + timedelta(days=2),
        sla_state="overdue",
    )
    response = await post(
        client, report.id, "extend-deadline", officer.headers, {"reason": "Cần khảo sát", "working_days": 5}
    )
    assert response.status_code == 200, response.text
    # Still measured against the acknowledge deadline, which has passed.
    assert response.json()["sla_state"] == "overdue"

    session.expire_all()
    result = await run_sla_pass(session, working_calendar(), settings, datetime.now(UTC))
    assert result.overdue == 0
    kinds = [entry["kind"] for entry in await seen.timeline(session, report.id)]
    assert kinds == ["deadline_extended"]


async def test_extending_an_accepted_overdue_report_puts_it_back_on_track(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    now = datetime.now(UTC)
    report = await insert_report(
        session,
        reporter=await person(),
        status=ReportStatus.ACCEPTED,
        created_at=now - timedelta(days=9),
        resolve_due_at=now - timedelta(hours=1),
        sla_state="overdue",
    )
    response = await post(
        client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ vật tư", "working_days": 10}
    )
    assert response.status_code == 200, response.text
    assert response.json()["sla_state"] == "on_track"
    assert (await seen.row(session, report.id))["sla_state"] == "on_track"


# -- 3. the new unit names its assignee --------------------------------------------------------------------


@pytest.mark.parametrize("status", [ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS])
async def test_after_reassignment_the_new_unit_names_an_assignee_without_a_status_move(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, status: ReportStatus
) -> None:
    officer, field = await person(Role.OFFICER, WARD), await person(Role.FIELD_STAFF, WARD)
    new_officer = await person(Role.OFFICER, OTHER_WARD)
    new_field = await person(Role.FIELD_STAFF, OTHER_WARD)
    report = await insert_report(session, reporter=await person(), status=status, assignee_id=field.id)
    moved = await post(
        client,
        report.id,
        "reassign",
        officer.headers,
        {"unit_code": OTHER_WARD, "reason": "Thuộc phường khác"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["assignee_id"] is None

    before = await seen.state(session, report.id)
    problem(
        await post(client, report.id, "assign", new_officer.headers, {"assignee_id": str(field.id)}),
        422,
        "invalid_assignee",
    )
    assert await seen.state(session, report.id) == before

    response = await post(
        client, report.id, "assign", new_officer.headers, {"assignee_id": str(new_field.id), "note": "Tổ 2"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["assignee_id"] == str(new_field.id)
    assert response.json()["status"] == str(status)
    entry = (await seen.timeline(session, report.id))[-1]
    assert entry["kind"] == "assigned"
    assert entry["from_status"] is None
    assert entry["to_status"] is None
    assert entry["data"] == {"from_assignee_id": None, "assignee_id": str(new_field.id)}
    added = (await seen.events(session, report.id))[len(before["events"]) :]
    assert "feedback.status_changed" not in [type_ for type_, _ in added]
    row = await seen.row(session, report.id)
    assert row["status"] == str(status)
    assert row["assignee_id"] == str(new_field.id)


async def test_assign_still_refuses_a_submitted_report(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=await person())
    problem(await post(client, report.id, "assign", officer.headers), 409, "invalid_transition")


# -- 4. "me too" and following lock the report -------------------------------------------------------------


@contextmanager
def _statements(connection: AsyncConnection) -> Iterator[list[str]]:
    seen_sql: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen_sql.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", record)
    try:
        yield seen_sql
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("POST", "support"),
        ("DELETE", "support"),
        ("POST", "follow"),
        ("DELETE", "follow"),
    ],
)
async def test_support_and_follow_lock_the_report_before_checking_it(
    client: httpx.AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    person: PersonFactory,
    method: str,
    action: str,
) -> None:
    report = await insert_report(session, reporter=await person())
    citizen = await person()
    with _statements(connection) as statements:
        response = await client.request(method, f"{BASE}/{report.id}/{action}", headers=citizen.headers)
    assert response.status_code < 300, response.text
    loads = [
        s
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
        and "FROM feedback_reports" in s
        and "WHERE feedback_reports.id" in s
    ]
    assert loads, statements
    assert "FOR UPDATE" in loads[0], loads[0]


# -- 5. reopening ------------------------------------------------------------------------------------------


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, format="PNG")
    return buffer.getvalue()


async def test_reopen_clears_the_answer_and_the_next_resolution_has_its_own_proofs(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    reporter, field = await person(), await person(Role.FIELD_STAFF, WARD)
    report = await insert_report(session, reporter=reporter, status=ReportStatus.IN_PROGRESS)
    storage = media_storage(settings)

    async def uploads(shade: int) -> list[str]:
        return [
            str(
                (
                    await store_upload(
                        session, storage, settings, _png((shade, i * 40, 0)), uploader_id=field.id
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


# -- 6. NUL characters -------------------------------------------------------------------------------------

NUL = "Có\u0000ký tự lạ"


async def test_a_nul_character_in_any_lifecycle_text_is_a_validation_error(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter, officer = await person(), await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=reporter, status=ReportStatus.IN_PROGRESS)
    other = await insert_report(session, reporter=await person())
    staff_bodies: list[tuple[str, dict[str, Any]]] = [
        ("accept", {"note": NUL}),
        ("start", {"note": NUL}),
        ("close", {"note": NUL}),
        ("reject", {"reason": NUL}),
        ("assign", {"note": NUL}),
        ("resolve", {"answer": NUL}),
        ("extend-deadline", {"reason": NUL, "working_days": 1}),
        ("reassign", {"unit_code": OTHER_WARD, "reason": NUL}),
        ("merge", {"into_report_id": str(other.id), "reason": NUL}),
    ]
    reporter_bodies: list[tuple[str, dict[str, Any]]] = [
        ("reopen", {"reason": NUL}),
        ("rate", {"rating": "satisfied", "comment": NUL}),
    ]
    before = await seen.state(session, report.id)
    for headers, bodies in ((officer.headers, staff_bodies), (reporter.headers, reporter_bodies)):
        for action, body in bodies:
            response = await post(client, report.id, action, headers, body)
            assert response.status_code == 422, (action, response.text)
            assert response.json()["code"] == "validation_error", (action, response.text)
    assert await seen.state(session, report.id) == before


# -- 7. extreme time-zone offsets --------------------------------------------------------------------------

# Past year 9999 or before year 1 once in UTC, and just outside the accepted years.
EXTREME_MOMENTS = [
    "9999-12-31T23:00:00-12:00",
    "0001-01-01T00:30:00+14:00",
    "1999-12-31T23:00:00+00:00",
    "3000-01-01T00:00:00+00:00",
]


@pytest.mark.parametrize("moment", EXTREME_MOMENTS)
async def test_extreme_deadlines_are_validation_errors(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, moment: str
) -> None:
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=await person(), status=ReportStatus.ACCEPTED)
    before = await seen.state(session, report.id)
    problem(
        await post(
            client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ vật tư", "due_at": moment}
        ),
        422,
        "validation_error",
    )
    assert await seen.state(session, report.id) == before


async def test_a_deadline_with_an_offset_is_stored_in_utc(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=await person(), status=ReportStatus.ACCEPTED)
    due = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    local = due.astimezone(datetime.now().astimezone().tzinfo).isoformat()
    response = await post(
        client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ vật tư", "due_at": local}
    )
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["resolve_due_at"]) == due


@pytest.mark.parametrize("moment", EXTREME_MOMENTS)
@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("inbox", ("created_from", "created_to")),
        ("inbox.csv", ("created_from", "created_to")),
        ("kpis", ("from", "to")),
    ],
)
async def test_extreme_moments_in_filters_are_validation_errors(
    client: httpx.AsyncClient, person: PersonFactory, moment: str, path: str, names: tuple[str, str]
) -> None:
    officer = await person(Role.OFFICER, WARD)
    for name in names:
        problem(
            await client.get(f"{BASE}/{path}", params={name: moment}, headers=officer.headers),
            422,
            "validation_error",
        )
    fine = await client.get(
        f"{BASE}/{path}", params={names[0]: "2026-01-01T00:00:00+07:00"}, headers=officer.headers
    )
    assert fine.status_code == 200, fine.text
