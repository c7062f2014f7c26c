"""Automatic linking: alarms raised and reports filed close in space and time become one incident."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from httpx import AsyncClient
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.calendar import working_calendar
from core.identity.principal import Role
from core.settings import Settings
from feedback.reports.models import Report
from feedback.submission.service import NewReport, submit_report
from ioc.alarms.models import AlarmEntry
from ioc.incidents.hooks import link_report
from ioc.incidents.models import Incident, IncidentMember
from ioc.rules.models import AlertRuleVersion
from ioc.types import Severity
from tests.ioc.incidents.support import events_of, incident_of_two, moved, raise_alarm, react
from tests.support.people import Person, PersonFactory


async def _incidents(session: AsyncSession) -> list[Incident]:
    return list((await session.scalars(select(Incident).order_by(col(Incident.created_at)))).all())


async def _members(session: AsyncSession, incident: Incident) -> set[tuple[str, object]]:
    rows = await session.execute(
        select(col(IncidentMember.member_kind), col(IncidentMember.member_id)).where(
            col(IncidentMember.incident_id) == incident.id,
            col(IncidentMember.unlinked_at).is_(None),
        )
    )
    return {(row.member_kind, row.member_id) for row in rows}


async def _file(
    session: AsyncSession, reporter: Person, category: str, at: tuple[float, float], **answers: object
) -> Report:
    report, _ = await submit_report(
        session,
        working_calendar(),
        NewReport(
            category_code=category,
            description="Nước ngập sâu trên đường",
            lat=at[1],
            lon=at[0],
            reporter_id=reporter.id,
            answers=answers,
        ),
    )
    return report


async def test_two_flood_alarms_100_m_apart_make_one_incident(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion
) -> None:
    first = await raise_alarm(session, flood, severity=Severity.WARNING)
    second = await raise_alarm(session, flood, at=moved(east_m=100), severity=Severity.CRITICAL)
    await react(session, settings)

    [incident] = await _incidents(session)
    await session.refresh(incident)
    assert await _members(session, incident) == {("alarm", first.id), ("alarm", second.id)}
    assert incident.status == "open"
    assert incident.unit_code == "13666"
    assert incident.lead_alarm_id == second.id  # the most severe
    assert incident.severity == "critical"
    assert incident.title_vi == flood.name
    assert incident.code.startswith("SC-")
    assert (incident.alarm_count, incident.report_count) == (2, 0)
    assert incident.created_by is None
    # The footprint holds both alarms with room around them.
    for alarm in (first, second):
        inside = await session.scalar(
            select(func.ST_Contains(Incident.footprint, func.ST_GeomFromEWKT(alarm.location))).where(
                col(Incident.id) == incident.id
            )
        )
        assert inside is True
    [created] = await events_of(session, "alerts.incident_created")
    assert created["incident"]["id"] == str(incident.id)
    assert created["incident"]["severity"] == "critical"
    assert created["incident"]["footprint"]["type"] == "Polygon"
    assert created["change"]["by"] == "rule"
    assert {member["id"] for member in created["change"]["linked"]} == {str(first.id), str(second.id)}
    linked = await session.scalars(select(AlarmEntry).where(col(AlarmEntry.kind) == "incident_linked"))
    assert {entry.alarm_id for entry in linked} == {first.id, second.id}


async def test_a_flooding_report_nearby_joins_and_one_far_away_does_not(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion, person: PersonFactory
) -> None:
    citizen = await person(Role.CITIZEN)
    await incident_of_two(session, settings, flood)
    [incident] = await _incidents(session)

    near = await _file(session, citizen, "flooding", moved(north_m=150), water_depth_cm=40)
    far = await _file(session, citizen, "flooding", moved(east_m=-1500), water_depth_cm=40)
    other_kind = await _file(session, citizen, "lighting", moved(north_m=50), pole_number="A1")
    assert far.ward_code == "13666"  # same unit: only the distance keeps it out

    assert ("report", near.id) in await _members(session, incident)
    assert ("report", far.id) not in await _members(session, incident)
    assert ("report", other_kind.id) not in await _members(session, incident)
    assert len(await _incidents(session)) == 1
    await session.refresh(incident)
    assert incident.report_count == 1
    [updated] = await events_of(session, "alerts.incident_updated")
    assert updated["change"]["linked"] == [{"kind": "report", "id": str(near.id)}]
    # The event names the report, never its reporter.
    assert str(citizen.id) not in str(updated)


async def test_things_outside_the_window_or_the_unit_or_unpaired_stay_apart(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion, fire: AlertRuleVersion
) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=5)
    await raise_alarm(session, flood, raised_at=long_ago)  # last seen 5 h ago: out of the 2 h window
    await raise_alarm(session, flood, at=moved(east_m=50), unit_code="13684")  # another unit
    await raise_alarm(session, fire, at=moved(east_m=80))  # fire and flood do not pair
    await raise_alarm(session, flood, at=moved(east_m=2000))  # too far (500 m for two floods)
    await react(session, settings)
    assert await _incidents(session) == []


async def test_a_new_alarm_joins_the_incident_of_the_nearest_member_without_merging(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion
) -> None:
    west = [
        await raise_alarm(session, flood, at=moved(east_m=-400)),
        await raise_alarm(session, flood, at=moved(east_m=-350)),
    ]
    east = [
        await raise_alarm(session, flood, at=moved(east_m=400)),
        await raise_alarm(session, flood, at=moved(east_m=350)),
    ]
    await react(session, settings)
    assert len(await _incidents(session)) == 2

    between = await raise_alarm(session, flood, at=moved(east_m=100))  # 250 m from the east pair, 450 west
    await react(session, settings)

    incidents = await _incidents(session)
    assert len(incidents) == 2
    by_members = {frozenset(member_id for _, member_id in await _members(session, i)) for i in incidents}
    assert by_members == {frozenset(a.id for a in west), frozenset({*(a.id for a in east), between.id})}


async def test_an_entry_seen_again_links_nothing_twice(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion
) -> None:
    await incident_of_two(session, settings, flood)
    # As after a crash between the links and the mark: every entry waits again.
    await session.execute(AlarmEntry.__table__.update().values(reacted_at=None))  # type: ignore[attr-defined]
    await react(session, settings)

    [incident] = await _incidents(session)
    assert len(await _members(session, incident)) == 2
    assert len(await events_of(session, "alerts.incident_created")) == 1
    assert await events_of(session, "alerts.incident_updated") == []


async def test_a_report_near_a_lone_alarm_makes_an_incident_with_it(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion, person: PersonFactory
) -> None:
    citizen = await person(Role.CITIZEN)
    alarm = await raise_alarm(session, flood, severity=Severity.MAJOR)
    await react(session, settings)
    assert await _incidents(session) == []

    report = await _file(session, citizen, "flooding", moved(north_m=100), water_depth_cm=25)

    [incident] = await _incidents(session)
    assert await _members(session, incident) == {("alarm", alarm.id), ("report", report.id)}
    assert incident.lead_alarm_id == alarm.id
    assert incident.severity == "major"


async def test_a_report_of_a_category_paired_with_nothing_costs_no_query(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion, person: PersonFactory
) -> None:

    from core.identity.principal import Role

    citizen = await person(Role.CITIZEN)
    report = await _file(session, citizen, "lighting", moved(north_m=10), pole_number="B2")
    statements: list[str] = []
    connection = await session.connection()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(connection.sync_connection, "before_cursor_execute", count)
    try:
        await link_report(session, report)
        assert statements == []
        # A paired category with nothing near: one statement.
        flooding = await _file(session, citizen, "flooding", moved(north_m=10), water_depth_cm=10)
        statements.clear()
        await link_report(session, flooding)
        assert len(statements) == 1
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", count)


async def test_a_citizen_filing_by_the_app_joins_the_incident_near_him(
    client: AsyncClient,
    session: AsyncSession,
    settings: Settings,
    flood: AlertRuleVersion,
    officer: Person,
    person: PersonFactory,
) -> None:
    citizen = await person(Role.CITIZEN)
    await incident_of_two(session, settings, flood)
    [incident] = await _incidents(session)
    lon, lat = moved(north_m=80)

    filed = await client.post(
        "/api/v1/feedback",
        headers=citizen.headers,
        json={
            "category_code": "flooding",
            "description": "Đường ngập ngang bánh xe",
            "location": {"lat": lat, "lon": lon},
            "answers": {"water_depth_cm": 35},
        },
    )
    assert filed.status_code == 201, filed.text

    detail = (await client.get(f"/api/v1/incidents/{incident.id}", headers=officer.headers)).json()
    assert [report["id"] for report in detail["reports"]] == [filed.json()["id"]]
    assert detail["reports"][0]["linked_by"] is None
