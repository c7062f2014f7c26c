"""GET /api/v1/feedback/mine: a citizen's own reports, newest first, with cursor pagination."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.reports.models import Report
from feedback.reports.status import ReportStatus
from tests.feedback.support import insert_report
from tests.support.people import PersonFactory

QueryPairs = list[tuple[str, str | int | float | bool | None]]
URL = "/api/v1/feedback/mine"
T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


async def test_own_reports_newest_first_with_private_and_merged(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    me, other = await person(), await person()
    target = await insert_report(catalogue, reporter=other, created_at=T0)
    first = await insert_report(catalogue, reporter=me, created_at=T0 + timedelta(hours=1))
    private = await insert_report(catalogue, reporter=me, created_at=T0 + timedelta(hours=2), is_public=False)
    merged = await insert_report(
        catalogue,
        reporter=me,
        created_at=T0 + timedelta(hours=3),
        status=ReportStatus.CLOSED,
        merged_into_id=target.id,
    )
    answer = await client.get(URL, headers=me.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [item["code"] for item in body["items"]] == [merged.code, private.code, first.code]
    assert body["next_cursor"] is None
    assert body["items"][2]["location"] == {"lat": 20.43, "lon": 106.175}


async def test_status_filter_is_repeatable(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    me = await person()
    submitted = await insert_report(catalogue, reporter=me, created_at=T0)
    resolved = await insert_report(
        catalogue, reporter=me, created_at=T0 + timedelta(1), status=ReportStatus.RESOLVED
    )
    await insert_report(catalogue, reporter=me, created_at=T0 + timedelta(2), status=ReportStatus.REJECTED)
    statuses: QueryPairs = [("status", "submitted"), ("status", "resolved")]
    answer = await client.get(URL, headers=me.headers, params=statuses)
    assert [item["code"] for item in answer.json()["items"]] == [resolved.code, submitted.code]


async def test_cursor_visits_every_row_once_even_with_equal_times(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    me = await person()
    codes = set()
    for index in range(11):
        # Pairs of reports share a timestamp: the id breaks the tie.
        made = await insert_report(catalogue, reporter=me, created_at=T0 + timedelta(minutes=index // 2))
        codes.add(made.code)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get(URL, headers=me.headers, params=params)).json()
        seen += [item["code"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(codes)
    assert len(seen) == len(set(seen)) == 11
    assert pages == 4


async def test_tampered_cursor_is_400(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    me = await person()
    for index in range(3):
        await insert_report(catalogue, reporter=me, created_at=T0 + timedelta(minutes=index))
    cursor = (await client.get(URL, headers=me.headers, params={"limit": 1})).json()["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    public_sort = base64.urlsafe_b64encode(("public" + raw[raw.index("|") :]).encode()).decode().rstrip("=")
    for bad in ("not-a-cursor", cursor[:-3], cursor + "x", public_sort, "%%%"):
        answer = await client.get(URL, headers=me.headers, params={"cursor": bad})
        assert answer.status_code == 400, bad
        assert answer.json()["code"] == "invalid_cursor"


async def test_only_citizens(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, "13666")
    assert (await client.get(URL, headers=officer.headers)).status_code == 403
    assert (await client.get(URL)).status_code == 401
    assert await catalogue.scalar(select(func.count()).select_from(Report)) == 0
