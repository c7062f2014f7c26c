"""The alarm list: only the caller's units, newest first in cursor pages, each filter, and invalid filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from ioc.types import Severity
from tests.ioc.alarms.conftest import OTHER_WARD, PROVINCE, WARD, AlarmFactory
from tests.support.people import PersonFactory

START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


async def _ids(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    answer = await client.get("/api/v1/alerts", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


async def test_each_caller_sees_only_the_alarms_of_his_units(
    client: httpx.AsyncClient, person: PersonFactory, alarm: AlarmFactory
) -> None:
    here = await alarm(raised_at=START)
    there = await alarm(unit_code=OTHER_WARD, raised_at=START + timedelta(minutes=1))
    province_wide = await alarm(unit_code=PROVINCE, raised_at=START + timedelta(minutes=2))
    ward_officer = await person(Role.OFFICER, WARD)
    ward_worker = await person(Role.FIELD_STAFF, WARD)
    province_officer = await person(Role.OFFICER, PROVINCE)
    admin = await person(Role.ADMIN)
    assert await _ids(client, ward_officer.headers) == [str(here.id)]
    assert await _ids(client, ward_worker.headers) == [str(here.id)]
    assert await _ids(client, province_officer.headers) == [str(a.id) for a in (province_wide, there, here)]
    assert str(province_wide.id) in await _ids(client, admin.headers)
    # A unit filter outside the caller's units is refused, not silently emptied.
    refused = await client.get(
        "/api/v1/alerts", params={"unit_code": OTHER_WARD}, headers=ward_officer.headers
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "outside_unit"
    assert await _ids(client, province_officer.headers, unit_code=OTHER_WARD) == [str(there.id)]


async def test_cursor_pages_newest_first_without_gap_or_repeat(
    client: httpx.AsyncClient, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    # Two alarms share a moment: the id breaks the tie.
    moments = [
        START,
        START + timedelta(seconds=1),
        START + timedelta(seconds=1),
        START + timedelta(seconds=2),
    ]
    made = [await alarm(raised_at=moment) for moment in moments]
    expected = [str(a.id) for a in sorted(made, key=lambda a: (a.raised_at, a.id), reverse=True)]
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 1}
        if cursor is not None:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/alerts", params=params, headers=officer.headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    bad = await client.get("/api/v1/alerts", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=officer.headers)
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"


async def test_filters(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, PROVINCE)
    warning = await alarm(raised_at=START)
    major = await alarm(severity=Severity.MAJOR, raised_at=START + timedelta(hours=1))
    critical = await alarm(
        severity=Severity.CRITICAL, unit_code=OTHER_WARD, raised_at=START + timedelta(hours=2), lon=106.30
    )
    await session.execute(
        text(
            "UPDATE alarms SET status = 'active_acknowledged', acknowledged_at = now(), type = 'fire', "
            "assignee_id = :me WHERE id = :id"
        ),
        {"id": major.id, "me": officer.id},
    )
    h = officer.headers
    assert await _ids(client, h, status="active_acknowledged") == [str(major.id)]
    assert await _ids(client, h, status=["active_acknowledged", "active_unacknowledged"]) == [
        str(critical.id),
        str(major.id),
        str(warning.id),
    ]
    assert await _ids(client, h, min_severity="major") == [str(critical.id), str(major.id)]
    assert await _ids(client, h, severity=["warning", "critical"]) == [str(critical.id), str(warning.id)]
    assert await _ids(client, h, severity="warning", min_severity="major") == []
    assert await _ids(client, h, type="fire") == [str(major.id)]
    assert await _ids(client, h, unit_code=OTHER_WARD) == [str(critical.id)]
    assert await _ids(client, h, bbox="106.25,20.30,106.35,20.50") == [str(critical.id)]
    assert await _ids(client, h, assignee="me") == [str(major.id)]
    window = {
        "raised_from": (START + timedelta(minutes=30)).isoformat(),
        "raised_to": (START + timedelta(hours=1)).isoformat(),
    }
    assert await _ids(client, h, **window) == [str(major.id)]
    assert await _ids(client, h, raised_from=(START + timedelta(hours=2)).isoformat()) == [str(critical.id)]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "open"},
        {"severity": "huge"},
        {"min_severity": "high"},
        {"type": "Not A Type"},
        {"unit_code": "1"},
        {"bbox": "106.3,20.4,106.1,20.5"},
        {"bbox": "1,2,3"},
        {"raised_from": "2026-11-20T10:00:00+07:00", "raised_to": "2026-11-20T09:00:00+07:00"},
        {"raised_from": "yesterday"},
        {"raised_from": "2026-11-20T10:00:00"},  # no offset
        {"assignee": "someone"},
        {"limit": 0},
        {"limit": 201},
    ],
)
async def test_invalid_filters_are_422(
    client: httpx.AsyncClient, units: AsyncSession, person: PersonFactory, params: dict[str, Any]
) -> None:
    officer = await person(Role.OFFICER, WARD)
    answer = await client.get("/api/v1/alerts", params=params, headers=officer.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"


async def test_a_box_larger_than_a_province_is_refused(
    client: httpx.AsyncClient, units: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    answer = await client.get("/api/v1/alerts", params={"bbox": "104,19,107,22"}, headers=officer.headers)
    assert answer.status_code == 422
    assert answer.json()["code"] == "area_too_large"


async def test_one_alarm_reads_as_the_list_does(
    client: httpx.AsyncClient, person: PersonFactory, alarm: AlarmFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    raised = await alarm(severity=Severity.MAJOR)
    listed = (await client.get("/api/v1/alerts", headers=officer.headers)).json()["items"][0]
    one = (await client.get(f"/api/v1/alerts/{raised.id}", headers=officer.headers)).json()
    assert {key: one[key] for key in listed} == listed
    assert listed["location"] == {"lat": pytest.approx(20.4316), "lon": pytest.approx(106.1711)}
    assert listed["severity"] == "major"
    assert one["timeline"] == []
