"""Report-surge rules: K reports of a category within R metres within T raise one alarm for their cluster,
further reports repeat it, a sliding window does not make a second alarm for the same cluster, and it
clears by absence through the tick."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.models import Report
from ioc.rules import engine
from ioc.rules.state import ActionKind
from ioc.rules.surge import on_new_report
from tests.feedback.conftest import catalogue
from tests.feedback.submission.helpers import SUBMIT, body, fresh_categories
from tests.feedback.support import IN_OTHER_WARD, IN_WARD, insert_report
from tests.ioc.rules.engine_support import at, fresh, kinds, rule
from tests.ioc.rules.evaluation_support import alarms, an_admin, events, state_of, tick, timeline
from tests.support.alarms import make_rule
from tests.support.people import PersonFactory

__all__ = ["catalogue", "fresh_categories"]

# The demo province and the report categories, inside the test's transaction.
with_reports = pytest.mark.usefixtures("catalogue")

SURGE: dict[str, Any] = {
    "kind": "report_surge",
    "name": "Nhiều phản ánh ngập / Flooding reports surge",
    "alarm_type": "flood_reports",
    "category_code": "flooding",
    "min_reports": 3,
    "radius_m": 300,
    "window_seconds": 1800,
    "severities": [{"severity": "major"}],
}


def near(metres_north: float) -> tuple[float, float]:
    lat, lon = IN_WARD
    return lat + metres_north / 111_000, lon


async def report(
    session: AsyncSession, seconds: float, where: tuple[float, float] = IN_WARD, category: str = "flooding"
) -> Report:
    """A report filed at `seconds`, then the report hook, as submission runs it."""
    filed = await insert_report(
        session, category_code=category, lat_lon=where, created_at=at(seconds), answers={"water_depth_cm": 30}
    )
    await on_new_report(session, filed)
    return filed


def test_the_engine_raises_at_the_threshold_and_repeats_after() -> None:
    surge = rule(SURGE)
    state, first = engine.on_report(surge, fresh(surge), at(0), 2)
    state, second = engine.on_report(surge, state, at(10), 3)
    state, third = engine.on_report(surge, state, at(20), 4)
    assert (first.kind, kinds([second, third])) == (ActionKind.NONE, ["raise:major", "repeat"])
    assert state.due_at == at(20 + 1800)


@with_reports
async def test_a_cluster_raises_once_and_further_reports_repeat_it(session: AsyncSession) -> None:
    version = await make_rule(session, await an_admin(session), SURGE)
    first = await report(session, 0)
    await report(session, 60, near(100))
    assert await alarms(session, version.rule_id) == []
    third = await report(session, 120, near(-100))
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.source_key, alarm.unit_code, alarm.device_id) == (str(first.id), "13666", None)
    assert (alarm.severity, alarm.count, alarm.raised_at) == ("major", 1, at(120))
    assert alarm.details == {"reports": 3, "category_code": "flooding", "report_id": str(third.id)}
    assert abs(alarm.lat - IN_WARD[0]) < 0.001
    assert (alarm.title_vi, alarm.title_en) == ("Nhiều phản ánh ngập", "Flooding reports surge")
    [event] = await events(session, alarm.id)
    assert (event.type, event.unit_code) == ("alerts.raised", "13666")
    await report(session, 180, near(50))
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.count == 2
    assert await timeline(session, alarm.id) == ["raised", "repeated"]


@with_reports
async def test_far_reports_and_other_categories_do_not_count(session: AsyncSession) -> None:
    version = await make_rule(session, await an_admin(session), SURGE)
    await report(session, 0)
    await report(session, 10, near(100))
    await report(session, 20, IN_OTHER_WARD)  # about 2.5 km away
    await report(session, 30, near(50), category="road_damage")
    assert await alarms(session, version.rule_id) == []


@with_reports
async def test_a_sliding_window_keeps_one_alarm_for_one_cluster(session: AsyncSession) -> None:
    version = await make_rule(session, await an_admin(session), {**SURGE, "window_seconds": 600})
    await report(session, 0)
    await report(session, 100, near(40))
    await report(session, 200, near(80))
    # At 700 the first report has left the window: the three in it start with another report, yet they are
    # the same cluster, whose alarm is still active.
    await report(session, 700, near(60))
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.count == 2


@with_reports
async def test_the_cluster_clears_when_reports_stop(session: AsyncSession) -> None:
    version = await make_rule(session, await an_admin(session), SURGE)
    for seconds in (0, 30, 60):
        await report(session, seconds, near(seconds))
    [alarm] = await alarms(session, version.rule_id)
    state = await state_of(session, version.rule_id, alarm.source_key)
    assert state.due_at == at(60 + 1800)
    await tick(session, at(60 + 1799))
    assert (await alarms(session, version.rule_id))[0].status == "active_unacknowledged"
    await tick(session, at(60 + 1800))
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.status, alarm.clear_reason) == ("cleared_unacknowledged", "rule")
    # A new surge there later is a new cluster, with its own alarm.
    for seconds in (4000, 4030, 4060):
        await report(session, seconds, near(10))
    assert [a.status for a in await alarms(session, version.rule_id)] == [
        "cleared_unacknowledged",
        "active_unacknowledged",
    ]


@with_reports
async def test_scope_by_unit(session: AsyncSession) -> None:
    version = await make_rule(session, await an_admin(session), {**SURGE, "scope": {"unit_codes": ["13684"]}})
    for seconds in (0, 10, 20):
        await report(session, seconds, near(seconds))
    assert await alarms(session, version.rule_id) == []


@with_reports
async def test_reports_filed_through_the_api_raise_the_alarm(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    version = await make_rule(session, await an_admin(session), SURGE)
    for metres in (0, 60, 120):
        citizen = await person()
        lat, lon = near(metres)
        document = body(
            category_code="flooding",
            description="Đường ngập sâu",
            location={"lat": lat, "lon": lon},
            answers={"water_depth_cm": 40},
        )
        response = await client.post(SUBMIT, json=document, headers=citizen.headers)
        assert response.status_code == 201, response.text
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.count, alarm.unit_code) == (1, "13666")
    assert alarm.raised_at > datetime.now(alarm.raised_at.tzinfo) - timedelta(minutes=5)
    assert uuid.UUID(alarm.source_key)
