"""Rows with known times in the first days of June 2026 (local time), in ward 13666 and, for the scope
tests, ward 13684 of the demo province, whose figures the tests state exactly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE
from core.identity.principal import Role
from dossiers.types import Status
from feedback.reports.status import ReportStatus
from ioc.alarms.models import Alarm
from ioc.dispatch.models import Dispatch, DispatchOffer
from ioc.rules.models import AlertRuleVersion
from ioc.types import AlarmStatus, Severity
from iot.telemetry.models import LatestState
from tests.feedback.support import IN_OTHER_WARD, insert_report
from tests.support.alarms import make_alarm, make_device, make_rule
from tests.support.dossier_rows import make_agency, make_dossier, make_procedure
from tests.support.people import PersonFactory

WARD = "13666"
OTHER_WARD = "13684"
PROVINCE = "37"
# Midnight of 1 June 2026, local time: the start of the periods the tests ask for.
T0 = datetime(2026, 6, 1, tzinfo=LOCAL_ZONE).astimezone(UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
OTHER_WARD_POINT = (106.1620, 20.4480)  # (lon, lat)


@dataclass(frozen=True)
class Known:
    rule: AlertRuleVersion


async def reports(session: AsyncSession, person: PersonFactory) -> None:
    reporter = await person()
    # Acknowledged after 1 h and resolved after 25 h, both in time; satisfied.
    await insert_report(
        session,
        reporter=reporter,
        status=ReportStatus.CLOSED,
        created_at=T0 + HOUR,
        acknowledged_at=T0 + 2 * HOUR,
        resolved_at=T0 + 26 * HOUR,
        rating="satisfied",
    )
    # Acknowledged after 10 h (due after 8 h) and resolved after 48 h (due after 24 h): both late.
    await insert_report(
        session,
        reporter=reporter,
        category_code="lighting",
        status=ReportStatus.RESOLVED,
        created_at=T0 + 2 * HOUR,
        acknowledged_at=T0 + 12 * HOUR,
        resolve_due_at=T0 + 26 * HOUR,
        resolved_at=T0 + 50 * HOUR,
        rating="not_satisfied",
    )
    # Never acknowledged: open, and past its acknowledge deadline now.
    await insert_report(session, reporter=reporter, created_at=T0 + 3 * HOUR)
    # Filed the day before the period.
    await insert_report(session, reporter=reporter, created_at=T0 - DAY)
    # Another ward's.
    await insert_report(
        session,
        reporter=reporter,
        lat_lon=IN_OTHER_WARD,
        ward_code=OTHER_WARD,
        unit_code=OTHER_WARD,
        created_at=T0 + HOUR,
    )


def _acknowledge(alarm: Alarm, after: timedelta) -> None:
    alarm.acknowledged_at = alarm.raised_at + after
    alarm.status = AlarmStatus.ACTIVE_ACKNOWLEDGED.value


def _clear(alarm: Alarm, after: timedelta) -> None:
    alarm.cleared_at = alarm.raised_at + after
    alarm.clear_reason = "officer"
    acknowledged = alarm.acknowledged_at is not None
    alarm.status = (
        AlarmStatus.CLEARED_ACKNOWLEDGED if acknowledged else AlarmStatus.CLEARED_UNACKNOWLEDGED
    ).value


async def alarms_and_dispatch(session: AsyncSession, rule: AlertRuleVersion, person: PersonFactory) -> None:
    # Critical at 01:00, acknowledged after 10 min, cleared after 1 h.
    first = await make_alarm(session, rule, severity=Severity.CRITICAL, raised_at=T0 + HOUR)
    _acknowledge(first, timedelta(minutes=10))
    _clear(first, HOUR)
    # Critical at 05:00, acknowledged after 30 min, still active.
    second = await make_alarm(session, rule, severity=Severity.CRITICAL, raised_at=T0 + 5 * HOUR)
    _acknowledge(second, timedelta(minutes=30))
    # Warning at 02:00, untouched.
    await make_alarm(session, rule, severity=Severity.WARNING, raised_at=T0 + 2 * HOUR)
    # Minor, raised before the period and still open.
    await make_alarm(session, rule, severity=Severity.MINOR, raised_at=T0 - 2 * DAY)
    # Another ward's major alarm.
    lon, lat = OTHER_WARD_POINT
    other = await make_alarm(
        session, rule, severity=Severity.MAJOR, raised_at=T0 + HOUR, unit_code=OTHER_WARD, lon=lon, lat=lat
    )
    await session.flush()

    staff = [await person(Role.FIELD_STAFF, WARD) for _ in range(3)]
    # The first alarm: accepted after 90 s, declined after 30 s, left to expire.
    answers = [("accepted", 90), ("declined", 30), ("expired", 600)]
    await _dispatch(session, first, [(s.id, a, t) for s, (a, t) in zip(staff, answers, strict=True)])
    # The second: accepted after 150 s.
    await _dispatch(session, second, [(staff[0].id, "accepted", 150)])
    # The other ward's: offered, not answered yet.
    await _dispatch(session, other, [(staff[1].id, None, 0)], status="open")


async def _dispatch(
    session: AsyncSession,
    alarm: Alarm,
    offers: list[tuple[uuid.UUID, str | None, int]],
    status: str = "accepted",
) -> None:
    offered = alarm.raised_at + timedelta(minutes=1)
    dispatch = Dispatch(
        alarm_id=alarm.id,
        status=status,
        ring=1,
        ring_at=offered,
        opened_at=offered,
        closed_at=None if status == "open" else offered + HOUR,
    )
    session.add(dispatch)
    await session.flush()
    for staff_id, answer, seconds in offers:
        session.add(
            DispatchOffer(
                dispatch_id=dispatch.id,
                alarm_id=alarm.id,
                staff_id=staff_id,
                ring=1,
                distance_m=100.0,
                offered_at=offered,
                answer=answer,
                answered_at=None if answer is None else offered + timedelta(seconds=seconds),
            )
        )
    await session.flush()


async def devices(session: AsyncSession) -> None:
    online = await make_device(session)
    went_offline = await make_device(session)
    never_heard = await make_device(session, type_="air_quality")
    long_offline = await make_device(session, type_="noise")
    retired = await make_device(session)
    retired.status = "decommissioned"
    retired.decommissioned_at = T0
    lon, lat = OTHER_WARD_POINT
    elsewhere = await make_device(session, type_="camera_traffic", lon=lon, lat=lat, ward_code=OTHER_WARD)
    states = [
        (online, True, T0 - DAY),
        (went_offline, False, T0 + 3 * HOUR),
        (long_offline, False, T0 - 10 * DAY),
        (retired, False, T0 + 4 * HOUR),
        (elsewhere, True, T0),
    ]
    for device, is_online, changed in states:
        session.add(LatestState(device_id=device.id, online=is_online, online_changed_at=changed))
    del never_heard
    await session.flush()


async def dossiers(session: AsyncSession) -> None:
    agency = await make_agency(session, WARD)
    procedure = await make_procedure(session)
    done = Status.RESULT_RETURNED
    # Finished a day before its due date: early.
    await make_dossier(
        session,
        agency,
        procedure,
        received_at=T0 + HOUR,
        due_at=T0 + 3 * DAY,
        finished_at=T0 + 2 * DAY,
        status=done,
    )
    # Finished on its due date: on time.
    await make_dossier(
        session,
        agency,
        procedure,
        received_at=T0 + 2 * HOUR,
        due_at=T0 + DAY + 9 * HOUR,
        finished_at=T0 + DAY + 15 * HOUR,
        status=done,
    )
    # Finished two days after its due date: late.
    await make_dossier(
        session,
        agency,
        procedure,
        received_at=T0 + 3 * HOUR,
        due_at=T0 + DAY + 9 * HOUR,
        finished_at=T0 + 3 * DAY + 9 * HOUR,
        status=done,
    )
    # Still open, due long ago: overdue.
    await make_dossier(session, agency, procedure, received_at=T0 + 4 * HOUR, due_at=T0 + 2 * DAY)
    # Withdrawn: received, not handled.
    await make_dossier(session, agency, procedure, received_at=T0 + 5 * HOUR, status=Status.WITHDRAWN)


async def make_known(session: AsyncSession, person: PersonFactory) -> Known:
    admin = await person(Role.ADMIN)
    rule = await make_rule(session, admin.id)
    await reports(session, person)
    await alarms_and_dispatch(session, rule, person)
    await devices(session)
    await dossiers(session)
    return Known(rule=rule)
