"""GET /api/v1/feedback/inbox: reports of the officer's units, with filters, sorts and scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.reports.status import ReportStatus, SlaState
from tests.feedback.lifecycle.helpers import BASE, problem
from tests.feedback.support import EXTREME_MOMENTS, IN_OTHER_WARD, OTHER_WARD, PROVINCE, WARD, insert_report
from tests.support.people import PersonFactory

QueryPairs = list[tuple[str, str | int | float | bool | None]]
URL = "/api/v1/feedback/inbox"
T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def codes(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["code"] for item in answer.json()["items"]]


async def test_scope_ward_province_admin(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    mine = await insert_report(catalogue, created_at=T0)
    other = await insert_report(
        catalogue,
        lat_lon=IN_OTHER_WARD,
        ward_code=OTHER_WARD,
        unit_code=OTHER_WARD,
        created_at=T0 + timedelta(1),
    )
    provincial = await insert_report(catalogue, unit_code=PROVINCE, created_at=T0 + timedelta(2))
    ward_officer = await person(Role.OFFICER, WARD)
    province_officer = await person(Role.OFFICER, PROVINCE)
    admin = await person(Role.ADMIN)
    field_staff = await person(Role.FIELD_STAFF, OTHER_WARD)
    sort = {"sort": "newest"}
    assert codes(await client.get(URL, headers=ward_officer.headers, params=sort)) == [mine.code]
    assert codes(await client.get(URL, headers=field_staff.headers, params=sort)) == [other.code]
    expected = [provincial.code, other.code, mine.code]
    assert codes(await client.get(URL, headers=province_officer.headers, params=sort)) == expected
    assert codes(await client.get(URL, headers=admin.headers, params=sort)) == expected
    # A unit filter outside the scope is refused, inside it narrows.
    refused = await client.get(URL, headers=ward_officer.headers, params={"unit_code": OTHER_WARD})
    assert refused.status_code == 403
    assert refused.json()["code"] == "outside_unit"
    narrowed = await client.get(URL, headers=province_officer.headers, params={"unit_code": OTHER_WARD})
    assert codes(narrowed) == [other.code]
    citizen = await person()
    assert (await client.get(URL, headers=citizen.headers)).status_code == 403
    assert (await client.get(URL)).status_code == 401


async def test_item_carries_staff_fields(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person(display_name="Nguyễn Văn A")
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(
        catalogue,
        reporter=citizen,
        anonymous=True,
        urgent=True,
        support_count=2,
        assignee_id=officer.id,
        status=ReportStatus.ASSIGNED,
        created_at=T0,
        sla_state=SlaState.DUE_SOON,
    )
    body = (await client.get(URL, headers=officer.headers)).json()
    item = body["items"][0]
    assert item["id"] == str(report.id)
    assert item["reporter_name"] == "Nguyễn Văn A"
    assert item["anonymous"] is True
    assert item["sla_state"] == "due_soon"
    assert item["urgent"] is True
    assert item["support_count"] == 2
    assert item["assignee_id"] == str(officer.id)
    assert item["unit_code"] == WARD
    assert item["department_code"] == report.department_code
    assert item["acknowledge_due_at"] == "2026-11-01T11:00:00Z"
    assert item["resolve_due_at"] == "2026-11-06T03:00:00Z"
    assert citizen.user.phone is not None
    assert citizen.user.phone not in (await client.get(URL, headers=officer.headers)).text


async def test_filters(client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory) -> None:
    officer = await person(Role.OFFICER, WARD)
    colleague = await person(Role.OFFICER, WARD)
    a = await insert_report(
        catalogue,
        created_at=T0,
        category_code="lighting",
        urgent=True,
        assignee_id=officer.id,
        status=ReportStatus.ASSIGNED,
    )
    b = await insert_report(
        catalogue,
        created_at=T0 + timedelta(days=2),
        sla_state=SlaState.OVERDUE,
        assignee_id=colleague.id,
        status=ReportStatus.IN_PROGRESS,
    )
    c = await insert_report(catalogue, created_at=T0 + timedelta(days=4), status=ReportStatus.RESOLVED)
    get = officer.headers
    assert codes(await client.get(URL, headers=get, params={"category_code": "lighting"})) == [a.code]
    assert codes(await client.get(URL, headers=get, params={"urgent": "true"})) == [a.code]
    assert codes(await client.get(URL, headers=get, params={"urgent": "false"})) == [b.code, c.code]
    assert codes(await client.get(URL, headers=get, params={"sla_state": "overdue"})) == [b.code]
    assert codes(await client.get(URL, headers=get, params={"assigned_to_me": "true"})) == [a.code]
    statuses: QueryPairs = [("status", "assigned"), ("status", "resolved")]
    assert codes(await client.get(URL, headers=get, params=statuses)) == [a.code, c.code]
    assert codes(await client.get(URL, headers=get, params={"q": c.code.lower()})) == [c.code]
    assert codes(await client.get(URL, headers=get, params={"q": c.code[:3]})) == [a.code, b.code, c.code]
    window = {
        "created_from": (T0 + timedelta(days=1)).isoformat(),
        "created_to": (T0 + timedelta(days=3)).isoformat(),
    }
    assert codes(await client.get(URL, headers=get, params=window)) == [b.code]
    departments = await client.get(URL, headers=get, params={"department_code": a.department_code})
    assert a.code in codes(departments)
    for bad in (
        {"q": "PA%"},
        {"status": "lost"},
        {"created_from": "2026-11-01T00:00:00"},
        {"sort": "x"},
        {"unit_code": "1"},
    ):
        assert (await client.get(URL, headers=get, params=bad)).status_code == 422, bad


async def test_sorts_and_cursor_pages(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, PROVINCE)
    made = []
    for index in range(9):
        # Deadlines run in the opposite order of creation, with ties.
        made.append(
            await insert_report(
                catalogue,
                created_at=T0 + timedelta(hours=index),
                resolve_due_at=T0 + timedelta(days=10 - index // 3),
            )
        )
    by_deadline = sorted(made, key=lambda r: (r.resolve_due_at, r.id))
    expected = {
        "deadline": [r.code for r in by_deadline],
        "newest": [r.code for r in reversed(made)],
        "oldest": [r.code for r in made],
    }
    for sort, order in expected.items():
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"sort": sort, "limit": 4}
            if cursor:
                params["cursor"] = cursor
            answer = await client.get(URL, headers=officer.headers, params=params)
            seen += codes(answer)
            if not (cursor := answer.json()["next_cursor"]):
                break
        assert seen == order, sort
    first = (await client.get(URL, headers=officer.headers, params={"sort": "newest", "limit": 1})).json()
    mixed = await client.get(
        URL, headers=officer.headers, params={"sort": "oldest", "cursor": first["next_cursor"]}
    )
    assert mixed.status_code == 400
    assert mixed.json()["code"] == "invalid_cursor"


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("moment", EXTREME_MOMENTS)
@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("inbox", ("created_from", "created_to")),
        ("inbox.csv", ("created_from", "created_to")),
    ],
)
async def test_extreme_moments_in_inbox_filters_are_validation_errors(
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
