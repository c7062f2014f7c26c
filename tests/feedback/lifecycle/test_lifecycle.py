"""The life of a report through the HTTP API: accept, reject, assign, start, resolve, close, and every
refusal leaving the report exactly as it was."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.reports.status import ReportStatus
from tests.feedback.lifecycle import helpers as seen
from tests.feedback.lifecycle.helpers import BASE, post, problem
from tests.feedback.support import OTHER_WARD, WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")


async def test_a_report_goes_from_submitted_to_resolved(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter, follower = await person(), await person()
    officer = await person(Role.OFFICER, WARD)
    field = await person(Role.FIELD_STAFF, WARD)
    report = await insert_report(session, reporter=reporter)
    await seen.follow(session, report.id, follower.id)

    accepted = await post(client, report.id, "accept", officer.headers, {"note": "Đã nhận"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["acknowledged_at"] is not None
    assert accepted.json()["reporter"]["user_id"] == str(reporter.id)  # the staff view

    assigned = await post(client, report.id, "assign", officer.headers, {"assignee_id": str(field.id)})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee_id"] == str(field.id)

    started = await post(client, report.id, "start", field.headers)
    assert started.status_code == 200, started.text
    resolved = await post(client, report.id, "resolve", field.headers, {"answer": "Đã vá ổ gà"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolution"] == "Đã vá ổ gà"
    assert resolved.json()["status_notes"] == "Đã vá ổ gà"
    assert resolved.json()["resolved_at"] is not None

    # The reporter sees every step, with roles and notes but no staff identity.
    mine = await client.get(f"{BASE}/{report.id}", headers=reporter.headers)
    assert mine.status_code == 200, mine.text
    steps = [(e["kind"], e["from_status"], e["to_status"], e["actor_role"]) for e in mine.json()["timeline"]]
    assert steps == [
        ("accepted", "submitted", "accepted", "officer"),
        ("assigned", "accepted", "assigned", "officer"),
        ("started", "assigned", "in_progress", "field_staff"),
        ("resolved", "in_progress", "resolved", "field_staff"),
    ]
    assert "actor_id" not in mine.json()["timeline"][0]
    timeline = await seen.timeline(session, report.id)
    assert [t["kind"] for t in timeline] == ["accepted", "assigned", "started", "resolved"]
    assert timeline[0]["note"] == "Đã nhận"
    assert timeline[0]["actor_id"] == officer.id
    assert timeline[1]["data"] == {"assignee_id": str(field.id)}

    events = await seen.events(session, report.id)
    assert [(t, d["from_status"], d["to_status"]) for t, d in events] == [
        ("feedback.status_changed", "submitted", "accepted"),
        ("feedback.status_changed", "accepted", "assigned"),
        ("feedback.status_changed", "assigned", "in_progress"),
        ("feedback.status_changed", "in_progress", "resolved"),
    ]
    assert all("reporter_id" not in d for _, d in events)

    # Four changes, each pushed to the reporter and the follower, never to the staff who made them.
    pushed = await seen.pushes(session, report.id)
    assert sorted(p["user_id"] for p in pushed) == sorted([reporter.id, follower.id] * 4)
    last = [p for p in pushed if p["data"]["status"] == "resolved"]
    assert len(last) == 2
    assert last[0]["data"] == {"report_id": str(report.id), "code": report.code, "status": "resolved"}
    assert report.code in last[0]["body_vi"]
    assert "resolved" in last[0]["body_en"]


async def test_accept_refusals_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter = await person()
    officer = await person(Role.OFFICER, WARD)
    elsewhere = await person(Role.OFFICER, OTHER_WARD)
    report = await insert_report(session, reporter=reporter, status=ReportStatus.IN_PROGRESS)
    before = await seen.state(session, report.id)

    body = problem(await post(client, report.id, "accept", officer.headers), 409, "invalid_transition")
    assert body["current_status"] == "in_progress"
    assert body["wanted_status"] == "accepted"
    problem(await post(client, report.id, "accept", reporter.headers), 403, "forbidden")
    problem(await post(client, report.id, "accept", elsewhere.headers), 403, "outside_unit")
    problem(
        await post(client, report.id, "accept", officer.headers, {"note": "x", "status": "closed"}),
        422,
        "validation_error",
    )
    problem(await post(client, uuid.uuid4(), "accept", officer.headers), 404, "report_not_found")
    assert (await client.post(f"{BASE}/{report.id}/accept", json={})).status_code == 401

    assert await seen.state(session, report.id) == before


async def test_field_staff_may_not_accept_and_a_province_officer_may(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    field = await person(Role.FIELD_STAFF, WARD)
    province = await person(Role.OFFICER, "37")
    report = await insert_report(session, reporter=await person())
    problem(await post(client, report.id, "accept", field.headers), 403, "forbidden")
    response = await post(client, report.id, "accept", province.headers)
    assert response.status_code == 200, response.text


async def test_reject_needs_a_reason_that_becomes_public(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter = await person()
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=reporter)
    before = await seen.state(session, report.id)
    problem(await post(client, report.id, "reject", officer.headers), 422, "validation_error")
    problem(
        await post(client, report.id, "reject", officer.headers, {"reason": "   "}), 422, "validation_error"
    )
    assert await seen.state(session, report.id) == before

    response = await post(client, report.id, "reject", officer.headers, {"reason": "Không thuộc địa bàn"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "rejected"
    assert response.json()["status_notes"] == "Không thuộc địa bàn"
    assert response.json()["acknowledged_at"] is not None
    # Rejected is final.
    body = problem(await post(client, report.id, "accept", officer.headers), 409, "invalid_transition")
    assert body["current_status"] == "rejected"


async def test_an_accepted_report_may_be_rejected_but_not_started(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=await person(), status=ReportStatus.ACCEPTED)
    problem(await post(client, report.id, "start", officer.headers), 409, "invalid_transition")
    assert (await post(client, report.id, "reject", officer.headers, {"reason": "Trùng"})).status_code == 200


async def test_assign_refuses_someone_who_does_not_cover_the_unit(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    citizen = await person()
    other_unit_staff = await person(Role.FIELD_STAFF, OTHER_WARD)
    report = await insert_report(session, reporter=citizen, status=ReportStatus.ACCEPTED)
    before = await seen.state(session, report.id)
    for assignee in (citizen.id, other_unit_staff.id, uuid.uuid4()):
        problem(
            await post(client, report.id, "assign", officer.headers, {"assignee_id": str(assignee)}),
            422,
            "invalid_assignee",
        )
    assert await seen.state(session, report.id) == before

    # No assignee at all is allowed: the unit handles it.
    response = await post(client, report.id, "assign", officer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["assignee_id"] is None


async def test_resolve_needs_an_answer_and_close_needs_a_resolved_report(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter = await person()
    officer = await person(Role.OFFICER, WARD)
    field = await person(Role.FIELD_STAFF, WARD)
    report = await insert_report(
        session, reporter=reporter, status=ReportStatus.IN_PROGRESS, assignee_id=field.id
    )
    before = await seen.state(session, report.id)
    problem(await post(client, report.id, "resolve", field.headers), 422, "validation_error")
    problem(await post(client, report.id, "close", officer.headers), 409, "invalid_transition")
    problem(await post(client, report.id, "close", field.headers), 403, "forbidden")
    problem(await post(client, report.id, "resolve", reporter.headers, {"answer": "x"}), 403, "forbidden")
    assert await seen.state(session, report.id) == before

    assert (await post(client, report.id, "resolve", field.headers, {"answer": "Xong"})).status_code == 200
    closed = await post(client, report.id, "close", officer.headers, {"note": "Đã kiểm tra"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["close_reason"] == "officer"
    assert closed.json()["closed_at"] is not None
    problem(await post(client, report.id, "close", officer.headers), 409, "invalid_transition")


async def test_reassign_to_another_unit_and_department(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter = await person()
    officer = await person(Role.OFFICER, WARD)
    field = await person(Role.FIELD_STAFF, WARD)
    report = await insert_report(
        session, reporter=reporter, status=ReportStatus.ASSIGNED, assignee_id=field.id
    )
    before = await seen.state(session, report.id)
    problem(
        await post(client, report.id, "reassign", officer.headers, {"unit_code": "99999", "reason": "x"}),
        422,
        "unit_not_found",
    )
    problem(
        await post(
            client, report.id, "reassign", officer.headers, {"department_code": "NOPE", "reason": "x"}
        ),
        422,
        "department_not_found",
    )
    problem(
        await post(client, report.id, "reassign", officer.headers, {"reason": "x"}), 422, "validation_error"
    )
    problem(
        await post(client, report.id, "reassign", field.headers, {"unit_code": OTHER_WARD, "reason": "x"}),
        403,
        "forbidden",
    )
    assert await seen.state(session, report.id) == before

    response = await post(
        client,
        report.id,
        "reassign",
        officer.headers,
        {"unit_code": OTHER_WARD, "department_code": "SNNMT", "reason": "Thuộc phường bên"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["unit_code"] == OTHER_WARD
    assert response.json()["department_code"] == "SNNMT"
    assert response.json()["assignee_id"] is None
    assert response.json()["status"] == "assigned"
    entry = (await seen.timeline(session, report.id))[-1]
    assert entry["kind"] == "reassigned"
    assert entry["data"] == {
        "from_unit_code": WARD,
        "to_unit_code": OTHER_WARD,
        "from_department_code": "SXD",
        "to_department_code": "SNNMT",
    }
    [(kind, data)] = await seen.events(session, report.id)
    assert kind == "feedback.reassigned"
    assert data["_unit_code"] == OTHER_WARD
    assert data["from_unit_code"] == WARD
    # The report is no longer this officer's.
    problem(await post(client, report.id, "start", field.headers), 403, "outside_unit")


async def test_reopen_within_seven_days_restarts_the_clock(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter, stranger = await person(), await person()
    resolved_at = datetime.now(UTC) - timedelta(days=2)
    report = await insert_report(
        session,
        reporter=reporter,
        status=ReportStatus.CLOSED,
        resolved_at=resolved_at,
        closed_at=resolved_at,
        close_reason="rated",
        rating="not_satisfied",
        rated_at=resolved_at,
        resolution="Đã xử lý",
        deadline_extended_at=resolved_at,
        resolve_due_at=resolved_at,
    )
    before = await seen.state(session, report.id)
    problem(
        await post(client, report.id, "reopen", stranger.headers, {"reason": "x"}), 403, "not_report_owner"
    )
    problem(await post(client, report.id, "reopen", reporter.headers), 422, "validation_error")
    officer = await person(Role.OFFICER, WARD)
    problem(await post(client, report.id, "reopen", officer.headers, {"reason": "x"}), 403, "forbidden")
    assert await seen.state(session, report.id) == before

    response = await post(client, report.id, "reopen", reporter.headers, {"reason": "Ổ gà lại xuất hiện"})
    assert response.status_code == 200, response.text
    read = response.json()
    assert "reporter" not in read  # the reporter's view
    assert read["status"] == "assigned"
    assert read["reopen_count"] == 1
    assert read["rating"] is None
    assert read["rated_at"] is None
    assert read["close_reason"] is None
    assert read["resolved_at"] is None
    # Five working days (road_damage) from now: at least a week ahead of the old deadline.
    assert datetime.fromisoformat(read["resolve_due_at"]) > datetime.now(UTC) + timedelta(days=5)
    assert read["timeline"][-1]["kind"] == "reopened"
    assert read["timeline"][-1]["note"] == "Ổ gà lại xuất hiện"
    assert read["timeline"][-1]["actor_role"] == "citizen"
    # The actor is the reporter: nobody else to tell.
    assert await seen.pushed_users(session, report.id) == []


async def test_reopen_window_and_merged_reports(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter = await person()
    late = datetime.now(UTC) - timedelta(days=8)
    old = await insert_report(session, reporter=reporter, status=ReportStatus.RESOLVED, resolved_at=late)
    target = await insert_report(session, reporter=await person())
    merged = await insert_report(
        session,
        reporter=reporter,
        status=ReportStatus.CLOSED,
        close_reason="merged",
        closed_at=late,
        merged_into_id=target.id,
    )
    open_one = await insert_report(session, reporter=reporter, status=ReportStatus.IN_PROGRESS)
    before = [await seen.state(session, r.id) for r in (old, merged, open_one)]
    problem(
        await post(client, old.id, "reopen", reporter.headers, {"reason": "x"}), 409, "reopen_window_passed"
    )
    problem(
        await post(client, merged.id, "reopen", reporter.headers, {"reason": "x"}), 409, "invalid_transition"
    )
    problem(
        await post(client, open_one.id, "reopen", reporter.headers, {"reason": "x"}),
        409,
        "invalid_transition",
    )
    assert [await seen.state(session, r.id) for r in (old, merged, open_one)] == before


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
