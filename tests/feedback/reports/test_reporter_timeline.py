"""The reporter's own view of a report shows the timeline without staff-internal notes and facts: the notes
of accepting, assigning, starting and merging, who was assigned, and the code of another report merged
into it."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.reports.status import ReportStatus
from tests.feedback.lifecycle.helpers import post
from tests.feedback.support import WARD, insert_report
from tests.support.people import PersonFactory

BASE = "/api/v1/feedback"


async def test_reporter_sees_public_notes_only(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen, neighbour = await person(), await person()
    officer, field = await person(Role.OFFICER, WARD), await person(Role.FIELD_STAFF, WARD)
    report = await insert_report(catalogue, reporter=citizen)
    private = await insert_report(catalogue, reporter=neighbour, is_public=False)
    steps = [
        ("accept", officer, {"note": "internal-accept-note"}),
        ("assign", officer, {"assignee_id": str(field.id), "note": "internal-assign-note"}),
        ("start", field, {"note": "internal-start-note"}),
    ]
    for action, actor, body in steps:
        answer = await post(client, report.id, action, actor.headers, body)
        assert answer.status_code == 200, answer.text
    merged = await post(
        client,
        private.id,
        "merge",
        officer.headers,
        {"into_report_id": str(report.id), "reason": "internal-merge"},
    )
    assert merged.status_code == 200, merged.text
    resolved = await post(client, report.id, "resolve", field.headers, {"answer": "Đã vá ổ gà"})
    assert resolved.status_code == 200, resolved.text

    own = await client.get(f"{BASE}/{report.id}", headers=citizen.headers)
    assert own.status_code == 200, own.text
    text = own.text
    for secret in ("internal-accept-note", "internal-assign-note", "internal-start-note", "internal-merge"):
        assert secret not in text
    assert str(field.id) not in text
    assert private.code not in text
    assert str(private.id) not in text
    timeline = own.json()["timeline"]
    assert [entry["kind"] for entry in timeline] == [
        "accepted",
        "assigned",
        "started",
        "merged_from",
        "resolved",
    ]
    assert timeline[-1]["note"] == "Đã vá ổ gà"
    assert timeline[-1]["to_status"] == ReportStatus.RESOLVED

    staff = (await client.get(f"{BASE}/{report.id}", headers=officer.headers)).json()
    notes = [entry["note"] for entry in staff["timeline"]]
    assert "internal-assign-note" in notes
    assert staff["timeline"][1]["data"]["assignee_id"] == str(field.id)
    assert staff["timeline"][3]["data"]["from_code"] == private.code
