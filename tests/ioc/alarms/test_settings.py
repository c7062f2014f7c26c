"""Units' alert settings (own, inherited from the province, or the defaults) and each person's alert
preferences: reads, writes, who may, and the bounds."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from core.settings import Settings
from ioc.alarms.preferences import Preferences
from ioc.alarms.unit_settings import SettingsSource, effective_settings
from ioc.types import Severity
from tests.ioc.alarms.conftest import OTHER_WARD, PROVINCE, WARD
from tests.support.people import PersonFactory

VALID = {
    "push_min_severity": "minor",
    "dispatch_min_severity": "critical",
    "reminder_seconds": {"critical": 60, "major": 600, "minor": 86400},
}


async def test_defaults_then_province_then_own_settings(
    client: httpx.AsyncClient, units: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    admin = await person(Role.ADMIN)
    url = f"/api/v1/units/{WARD}/alert-settings"
    first = await client.get(url, headers=admin.headers)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "unit_code": WARD,
        "push_min_severity": "major",
        "dispatch_min_severity": "major",
        "reminder_seconds": {"critical": 300, "major": 900},
        "source": "defaults",
    }
    province = await client.put(f"/api/v1/units/{PROVINCE}/alert-settings", json=VALID, headers=admin.headers)
    assert province.status_code == 200, province.text
    assert province.json()["source"] == "unit"
    inherited = (await client.get(url, headers=admin.headers)).json()
    assert inherited == {**VALID, "unit_code": WARD, "source": "province"}
    found = await effective_settings(units, WARD, settings=settings)
    assert (found.source, found.push_min_severity, found.reminder_for("major")) == (
        SettingsSource.PROVINCE,
        Severity.MINOR,
        600,
    )
    assert found.reminder_for("warning") is None

    own = {"push_min_severity": "critical", "dispatch_min_severity": "major", "reminder_seconds": {}}
    assert (await client.put(url, json=own, headers=admin.headers)).json()["source"] == "unit"
    mine = await effective_settings(units, WARD, settings=settings)
    assert (mine.source, mine.push_min_severity, dict(mine.reminder_seconds)) == (
        SettingsSource.UNIT,
        Severity.CRITICAL,
        {},
    )
    # The other ward still follows the province.
    assert (await effective_settings(units, OTHER_WARD, settings=settings)).source is SettingsSource.PROVINCE


async def test_officers_set_only_their_units(
    client: httpx.AsyncClient, session: AsyncSession, units: AsyncSession, person: PersonFactory
) -> None:
    ward_officer = await person(Role.OFFICER, WARD)
    worker = await person(Role.FIELD_STAFF, WARD)
    mine = await client.put(f"/api/v1/units/{WARD}/alert-settings", json=VALID, headers=ward_officer.headers)
    assert mine.status_code == 200
    for code in (OTHER_WARD, PROVINCE):
        refused = await client.put(
            f"/api/v1/units/{code}/alert-settings", json=VALID, headers=ward_officer.headers
        )
        assert refused.status_code == 403
        assert refused.json()["code"] == "outside_unit"
        assert (
            await client.get(f"/api/v1/units/{code}/alert-settings", headers=ward_officer.headers)
        ).status_code == 403
    assert (
        await client.get(f"/api/v1/units/{WARD}/alert-settings", headers=worker.headers)
    ).status_code == 403
    rows = await session.execute(text("SELECT unit_code FROM unit_alert_settings"))
    assert [row.unit_code for row in rows] == [WARD]


async def test_an_unknown_unit_is_not_found(
    client: httpx.AsyncClient, units: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    answer = await client.put("/api/v1/units/99999/alert-settings", json=VALID, headers=admin.headers)
    assert answer.status_code == 404
    assert answer.json()["code"] == "unit_not_found"
    assert (await client.get("/api/v1/units/99/alert-settings", headers=admin.headers)).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"reminder_seconds": {"critical": 59}},
        {"reminder_seconds": {"critical": 86401}},
        {"reminder_seconds": {"critical": -300}},
        {"reminder_seconds": {"urgent": 300}},
        {"reminder_seconds": {"critical": 3.5}},
        {"push_min_severity": "high"},
        {"dispatch_min_severity": None},
        {"extra": True},
    ],
)
async def test_settings_out_of_bounds_are_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    units: AsyncSession,
    person: PersonFactory,
    change: dict[str, Any],
) -> None:
    admin = await person(Role.ADMIN)
    answer = await client.put(
        f"/api/v1/units/{WARD}/alert-settings", json={**VALID, **change}, headers=admin.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"
    assert (await session.scalar(text("SELECT count(*) FROM unit_alert_settings"))) == 0


async def test_preferences_read_and_write(
    client: httpx.AsyncClient, units: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    url = "/api/v1/me/alert-preferences"
    first = await client.get(url, headers=officer.headers)
    assert first.status_code == 200
    assert first.json() == {
        "alarm_types": None,
        "min_severity": "indeterminate",
        "quiet_start": None,
        "quiet_end": None,
        "time_zone": "Asia/Ho_Chi_Minh",
    }
    chosen = {
        "alarm_types": ["flood", "fire"],
        "min_severity": "major",
        "quiet_start": "22:00",
        "quiet_end": "06:30",
    }
    saved = await client.put(url, json=chosen, headers=officer.headers)
    assert saved.status_code == 200, saved.text
    expected = {**chosen, "alarm_types": ["fire", "flood"], "time_zone": "Asia/Ho_Chi_Minh"}
    assert saved.json() == expected
    assert (await client.get(url, headers=officer.headers)).json() == expected
    cleared = await client.put(url, json={"min_severity": "minor"}, headers=officer.headers)
    assert cleared.json()["quiet_start"] is None
    assert cleared.json()["alarm_types"] is None
    worker = await person(Role.FIELD_STAFF, WARD)
    assert (await client.put(url, json=chosen, headers=worker.headers)).status_code == 200
    citizen = await person()
    assert (await client.get(url, headers=citizen.headers)).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"quiet_start": "22:00"},
        {"quiet_end": "06:00"},
        {"quiet_start": "22:00", "quiet_end": "22:00"},
        {"quiet_start": "24:00", "quiet_end": "06:00"},
        {"quiet_start": "7:00", "quiet_end": "08:00"},
        {"quiet_start": "22:00:00", "quiet_end": "06:00"},
        {"alarm_types": ["Flood"]},
        {"alarm_types": ["flood", "flood"]},
        {"alarm_types": [f"type_{i}" for i in range(51)]},
        {"min_severity": "loud"},
        {"colour": "red"},
    ],
)
async def test_bad_preferences_are_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    units: AsyncSession,
    person: PersonFactory,
    body: dict[str, Any],
) -> None:
    officer = await person(Role.OFFICER, WARD)
    answer = await client.put("/api/v1/me/alert-preferences", json=body, headers=officer.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"
    assert (await session.scalar(text("SELECT count(*) FROM alert_preferences"))) == 0


def _at(hour: int, minute: int = 0) -> datetime:
    # Local time in Vietnam is UTC+7.
    return datetime(2026, 11, 20, (hour - 7) % 24, minute, tzinfo=UTC)


def test_quiet_hours_over_midnight_and_critical_always() -> None:
    night = Preferences(quiet_start=time(22, 0), quiet_end=time(6, 0))
    assert [night.quiet_at(_at(hour)) for hour in (22, 23, 2, 5, 6, 12, 21)] == [True] * 4 + [False] * 3
    assert not night.lets_through("major", "flood", _at(23))
    assert night.lets_through("critical", "flood", _at(23))
    assert night.lets_through("major", "flood", _at(9))
    lunch = Preferences(quiet_start=time(11, 30), quiet_end=time(13, 0))
    assert [lunch.quiet_at(_at(hour, 30)) for hour in (11, 12, 13, 23)] == [True, True, False, False]


def test_types_and_severity_choices() -> None:
    picky = Preferences(alarm_types=frozenset({"fire"}), min_severity=Severity.MAJOR)
    noon = _at(12)
    assert picky.lets_through("major", "fire", noon)
    assert not picky.lets_through("minor", "fire", noon)
    assert not picky.lets_through("major", "flood", noon)
    assert picky.lets_through("critical", "flood", noon)
    assert Preferences().lets_through("indeterminate", "anything", noon)
