"""Officers working an alarm over HTTP: acknowledge, clear, assign, comment; each move checked, recorded on
the timeline with who did it, and told on the live channel; refusals change nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from ioc.alarms.models import COMMENT_MAX_LENGTH
from tests.ioc.alarms.conftest import OTHER_WARD, PROVINCE, WARD, AlarmFactory
from tests.support.people import PersonFactory


async def _events(session: AsyncSession, alarm_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await session.execute(
        text("SELECT type, unit_code, data FROM event_outbox WHERE subject_id = :id ORDER BY id"),
        {"id": str(alarm_id)},
    )
    return [{"type": row.type, "unit_code": row.unit_code, "data": row.data} for row in rows]


async def _timeline(session: AsyncSession, alarm_id: uuid.UUID) -> list[Any]:
    rows = await session.execute(
        text(
            "SELECT kind, actor_id, status, comment, detail FROM alarm_timeline "
            "WHERE alarm_id = :id ORDER BY id"
        ),
        {"id": alarm_id},
    )
    return list(rows)


async def _row(session: AsyncSession, alarm_id: uuid.UUID) -> Any:
    return (await session.execute(text("SELECT * FROM alarms WHERE id = :id"), {"id": alarm_id})).one()


async def test_acknowledge_then_clear_then_no_second_clear(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD, display_name="Trần Văn Trực")
    raised = await alarm()
    await session.execute(text("UPDATE alarms SET remind_at = now() WHERE id = :id"), {"id": raised.id})

    acked = await client.post(
        f"/api/v1/alerts/{raised.id}/ack", json={"comment": "Đang xem"}, headers=officer.headers
    )
    assert acked.status_code == 200, acked.text
    assert acked.json()["status"] == "active_acknowledged"
    assert acked.json()["acknowledged_by"] == str(officer.id)
    assert acked.json()["remind_at"] is None  # acknowledging stops the reminders

    again = await client.post(f"/api/v1/alerts/{raised.id}/ack", headers=officer.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "already_acknowledged"

    cleared = await client.post(f"/api/v1/alerts/{raised.id}/clear", headers=officer.headers)
    assert cleared.status_code == 200, cleared.text
    body = cleared.json()
    assert body["status"] == "cleared_acknowledged"
    assert body["clear_reason"] == "officer"
    assert body["cleared_by"] == str(officer.id)
    assert body["cleared_at"] is not None

    twice = await client.post(f"/api/v1/alerts/{raised.id}/clear", headers=officer.headers)
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_cleared"

    assert [(e.kind, e.status, e.comment) for e in await _timeline(session, raised.id)] == [
        ("acknowledged", "active_acknowledged", "Đang xem"),
        ("cleared", "cleared_acknowledged", None),
    ]
    events = await _events(session, raised.id)
    assert [e["type"] for e in events] == ["alerts.acknowledged", "alerts.cleared"]
    assert events[1]["data"]["change"] == {"by": "officer", "actor_id": str(officer.id)}
    assert events[1]["data"]["alarm"]["status"] == "cleared_acknowledged"
    assert events[0]["unit_code"] == WARD

    detail = await client.get(f"/api/v1/alerts/{raised.id}", headers=officer.headers)
    assert detail.status_code == 200
    timeline = detail.json()["timeline"]
    assert [entry["kind"] for entry in timeline] == ["acknowledged", "cleared"]
    assert timeline[0]["actor_name"] == "Trần Văn Trực"
    assert timeline[0]["actor_id"] == str(officer.id)
    assert timeline[1]["severity"] == "warning"
    assert detail.json()["timeline_truncated"] is False


async def test_a_cleared_alarm_may_still_be_acknowledged(
    client: httpx.AsyncClient, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, PROVINCE)  # a province's officer acts on its wards' alarms
    raised = await alarm()
    cleared = await client.post(f"/api/v1/alerts/{raised.id}/clear", headers=officer.headers)
    assert cleared.json()["status"] == "cleared_unacknowledged"
    acked = await client.post(f"/api/v1/alerts/{raised.id}/ack", headers=officer.headers)
    assert acked.status_code == 200
    assert acked.json()["status"] == "cleared_acknowledged"


async def test_another_units_alarm_is_not_found_and_unchanged(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, alarm: AlarmFactory
) -> None:
    elsewhere = await person(Role.OFFICER, OTHER_WARD)
    colleague = await person(Role.FIELD_STAFF, WARD)
    raised = await alarm()
    for path, body in (
        ("ack", None),
        ("clear", None),
        ("assign", {"assignee_id": str(colleague.id)}),
        ("comments", {"text": "xin chào"}),
    ):
        answer = await client.post(f"/api/v1/alerts/{raised.id}/{path}", json=body, headers=elsewhere.headers)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["code"] == "alarm_not_found"
    assert (await client.get(f"/api/v1/alerts/{raised.id}", headers=elsewhere.headers)).status_code == 404
    unknown = await client.post(f"/api/v1/alerts/{uuid.uuid4()}/ack", headers=elsewhere.headers)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "alarm_not_found"
    row = await _row(session, raised.id)
    assert (row.status, row.assignee_id, row.acknowledged_at) == ("active_unacknowledged", None, None)
    assert await _timeline(session, raised.id) == []


async def test_field_staff_read_but_may_not_act(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, alarm: AlarmFactory
) -> None:
    worker = await person(Role.FIELD_STAFF, WARD)
    raised = await alarm()
    assert (await client.get(f"/api/v1/alerts/{raised.id}", headers=worker.headers)).status_code == 200
    for path, body in (("ack", None), ("clear", None), ("assign", {"assignee_id": str(worker.id)})):
        answer = await client.post(f"/api/v1/alerts/{raised.id}/{path}", json=body, headers=worker.headers)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["code"] == "forbidden"
    # A comment only on an alarm assigned to him.
    refused = await client.post(
        f"/api/v1/alerts/{raised.id}/comments", json={"text": "Tôi đang tới"}, headers=worker.headers
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_alarm_assignee"
    assert (await _row(session, raised.id)).status == "active_unacknowledged"
    assert await _timeline(session, raised.id) == []


async def test_assign_to_staff_covering_the_alarm_then_the_assignee_comments(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    worker = await person(Role.FIELD_STAFF, WARD, display_name="Lê Thị Hiện Trường")
    raised = await alarm()
    assigned = await client.post(
        f"/api/v1/alerts/{raised.id}/assign",
        json={"assignee_id": str(worker.id), "comment": "Anh đi kiểm tra"},
        headers=officer.headers,
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee_id"] == str(worker.id)

    comment = await client.post(
        f"/api/v1/alerts/{raised.id}/comments", json={"text": "Nước đã rút một nửa"}, headers=worker.headers
    )
    assert comment.status_code == 201, comment.text
    assert comment.json()["kind"] == "commented"
    assert comment.json()["comment"] == "Nước đã rút một nửa"
    assert comment.json()["actor_name"] == "Lê Thị Hiện Trường"

    entries = await _timeline(session, raised.id)
    assert [e.kind for e in entries] == ["assigned", "commented"]
    assert entries[0].detail == {"assignee_id": str(worker.id), "from_assignee_id": None}
    events = await _events(session, raised.id)
    assert [e["type"] for e in events] == ["alerts.assigned", "alerts.commented"]
    assert events[0]["data"]["change"]["assignee_id"] == str(worker.id)
    assert events[0]["data"]["alarm"]["assignee_id"] == str(worker.id)
    # Live events carry no free text but the alarm's titles.
    assert "Nước đã rút" not in str(events[1])


async def test_assignee_outside_the_alarms_units_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    elsewhere = await person(Role.FIELD_STAFF, OTHER_WARD)
    citizen = await person()
    admin = await person(Role.ADMIN)
    raised = await alarm()
    for assignee in (elsewhere.id, citizen.id, admin.id, uuid.uuid4()):
        answer = await client.post(
            f"/api/v1/alerts/{raised.id}/assign", json={"assignee_id": str(assignee)}, headers=officer.headers
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_assignee"
    # Staff of the province above the ward cover it.
    provincial = await person(Role.FIELD_STAFF, PROVINCE)
    answer = await client.post(
        f"/api/v1/alerts/{raised.id}/assign",
        json={"assignee_id": str(provincial.id)},
        headers=officer.headers,
    )
    assert answer.status_code == 200
    assert [e.kind for e in await _timeline(session, raised.id)] == ["assigned"]


async def test_a_cleared_alarm_is_not_assigned(
    client: httpx.AsyncClient, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    raised = await alarm()
    await client.post(f"/api/v1/alerts/{raised.id}/clear", headers=officer.headers)
    answer = await client.post(
        f"/api/v1/alerts/{raised.id}/assign", json={"assignee_id": str(officer.id)}, headers=officer.headers
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "already_cleared"


async def test_bad_comments_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    raised = await alarm()
    for body in (
        {"text": ""},
        {"text": "   "},
        {"text": "x" * (COMMENT_MAX_LENGTH + 1)},
        {"text": "a\x00b"},
        {},
        {"text": "ok", "extra": 1},
    ):
        answer = await client.post(f"/api/v1/alerts/{raised.id}/comments", json=body, headers=officer.headers)
        assert answer.status_code == 422, body
        assert answer.json()["code"] == "validation_error"
    longest = await client.post(
        f"/api/v1/alerts/{raised.id}/comments",
        json={"text": "x" * COMMENT_MAX_LENGTH},
        headers=officer.headers,
    )
    assert longest.status_code == 201
    assert [e.kind for e in await _timeline(session, raised.id)] == ["commented"]
    huge_ack = await client.post(
        f"/api/v1/alerts/{raised.id}/ack", json={"comment": "x" * 2001}, headers=officer.headers
    )
    assert huge_ack.status_code == 422
    assert (await _row(session, raised.id)).status == "active_unacknowledged"


async def test_citizens_and_strangers_are_refused(client: httpx.AsyncClient, person: PersonFactory) -> None:
    citizen = await person()
    some = uuid.uuid4()
    assert (await client.get("/api/v1/alerts", headers=citizen.headers)).status_code == 403
    assert (await client.post(f"/api/v1/alerts/{some}/ack", headers=citizen.headers)).status_code == 403
    assert (await client.get("/api/v1/alerts")).status_code == 401
