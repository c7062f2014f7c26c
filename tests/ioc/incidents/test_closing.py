"""What follows from member alarms changing: lead and severity re-chosen, last seen carried, and incidents
closing by themselves once every alarm cleared and every report is done (at once on a clear, or by the
worker's sweep when a report is resolved later)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.settings import Settings
from feedback.reports.models import Report
from feedback.reports.status import ReportStatus
from ioc.alarms import journal
from ioc.alarms.models import Alarm
from ioc.incidents.hooks import link_report
from ioc.incidents.models import Incident, IncidentMember
from ioc.incidents.tasks import close_finished
from ioc.rules.models import AlertRuleVersion
from ioc.types import Severity
from tests.feedback.support import insert_report
from tests.ioc.incidents.support import change_alarm, clear, events_of, moved, raise_alarm, react

NORTH = moved(north_m=100)


async def _pair(
    session: AsyncSession, settings: Settings, rule: AlertRuleVersion
) -> tuple[Alarm, Alarm, Incident]:
    first = await raise_alarm(session, rule, severity=Severity.WARNING)
    second = await raise_alarm(session, rule, at=moved(east_m=100), severity=Severity.MINOR)
    await react(session, settings)
    incident = (await session.scalars(select(Incident))).one()
    return first, second, incident


async def _linked_report(session: AsyncSession) -> Report:
    report = await insert_report(session, category_code="flooding", lat_lon=(NORTH[1], NORTH[0]))
    await link_report(session, report)
    return report


async def test_a_severity_change_re_chooses_the_lead(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion
) -> None:
    first, second, incident = await _pair(session, settings, flood)
    assert incident.lead_alarm_id == second.id  # minor above warning
    await change_alarm(session, first, journal.SEVERITY_CHANGED, severity=Severity.CRITICAL.value)
    await react(session, settings)

    await session.refresh(incident)
    assert (incident.lead_alarm_id, incident.severity) == (first.id, "critical")
    [updated] = await events_of(session, "alerts.incident_updated")
    assert updated["change"] == {"by": "rule", "lead_alarm_from": str(second.id), "severity_from": "minor"}


async def test_active_alarms_lead_before_cleared_ones(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion
) -> None:
    first, second, incident = await _pair(session, settings, flood)
    await clear(session, second)
    await react(session, settings)

    await session.refresh(incident)
    assert incident.status == "open"  # the first is still active
    assert (incident.lead_alarm_id, incident.severity) == (first.id, "warning")


async def test_all_alarms_cleared_closes_the_incident_and_frees_its_members(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion
) -> None:
    first, second, incident = await _pair(session, settings, flood)
    await clear(session, first)
    await clear(session, second)
    await react(session, settings)

    await session.refresh(incident)
    assert (incident.status, incident.close_reason, incident.closed_by) == ("closed", "resolved", None)
    assert incident.closed_at is not None
    [closed] = await events_of(session, "alerts.incident_closed")
    assert closed["incident"]["status"] == "closed"
    assert closed["change"] == {"by": "rule", "reason": "resolved"}
    held = await session.scalars(select(col(IncidentMember.incident_open)))
    assert set(held) == {False}
    # A new flood nearby finds nothing to join: the old alarms cleared, their incident closed.
    await raise_alarm(session, flood, at=moved(east_m=50))
    await react(session, settings)
    assert len((await session.scalars(select(Incident))).all()) == 1


async def test_an_open_report_keeps_it_open_until_the_sweep_sees_it_resolved(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion
) -> None:
    first, second, incident = await _pair(session, settings, flood)
    report = await _linked_report(session)
    await session.refresh(incident)
    assert incident.report_count == 1
    await clear(session, first)
    await clear(session, second)
    await react(session, settings)
    await session.refresh(incident)
    assert incident.status == "open"
    assert await close_finished(session, datetime.now(UTC)) == 0

    report.status = ReportStatus.RESOLVED
    await session.flush()
    assert await close_finished(session, datetime.now(UTC)) == 1
    await session.refresh(incident)
    assert (incident.status, incident.close_reason) == ("closed", "resolved")
    assert await close_finished(session, datetime.now(UTC)) == 0


async def test_repeats_carry_the_last_seen_time_without_an_event(
    session: AsyncSession, settings: Settings, flood: AlertRuleVersion
) -> None:
    first, _, incident = await _pair(session, settings, flood)
    later = datetime.now(UTC) + timedelta(minutes=3)
    await change_alarm(session, first, journal.REPEATED, last_seen_at=later, count=2)
    await react(session, settings)

    await session.refresh(incident)
    assert incident.last_seen_at == later
    assert await events_of(session, "alerts.incident_updated") == []
