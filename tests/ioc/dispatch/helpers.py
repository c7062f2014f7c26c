"""A small world for the dispatch tests: field staff placed around an alarm in ward 13666, the alarm raised
through the journal (as the rules raise it), the reactions run, and fresh reads of what came of it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.identity.principal import Role
from core.push import service as push
from core.push.models import Platform, PushLanguage
from core.settings import Settings
from ioc.alarms import events, journal
from ioc.alarms.models import Alarm
from ioc.alarms.reactions import react_once
from ioc.alarms.repository.journal import facts_of
from ioc.dispatch import field_status, tasks
from ioc.dispatch.reaction import offer_dispatches
from ioc.dispatch.schemas import FieldStatusUpdate
from ioc.dispatch.tasks import TickResult
from ioc.rules.models import AlertRuleVersion
from ioc.types import Severity
from tests.support.alarms import NAM_DINH, make_alarm, make_rule
from tests.support.people import Person, PersonFactory
from tests.support.push import fcm_token

WARD = "13666"
OTHER_WARD = "13684"
PROVINCE = "37"
METRES_PER_DEGREE = 111_320.0
# A point in ward 13693, whose staff and officers are nobody in these tests.
ELSEWHERE = (106.22, 20.45)


def north(metres: float) -> tuple[float, float]:
    """(lon, lat) this many metres north of the alarm's point."""
    lon, lat = NAM_DINH
    return lon, lat + metres / METRES_PER_DEGREE


@dataclass
class World:
    session: AsyncSession
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    person: PersonFactory
    rule: AlertRuleVersion | None = None

    async def staff(
        self,
        metres: float | None = None,
        *,
        unit_code: str = WARD,
        on_duty: bool = True,
        recorded_at: datetime | None = None,
        phone: bool = False,
    ) -> Person:
        """A field worker `metres` north of the alarm's point (on duty), or off duty with no position."""
        worker = await self.person(Role.FIELD_STAFF, unit_code)
        lon, lat = north(metres or 0.0)
        update = (
            FieldStatusUpdate(on_duty=True, lat=lat, lon=lon, accuracy_m=10, recorded_at=recorded_at)
            if on_duty
            else FieldStatusUpdate(on_duty=False)
        )
        await field_status.report(self.session, self.settings, worker.principal, update, datetime.now(UTC))
        if phone:
            await self.phone(worker.id)
        return worker

    async def phone(self, user_id: uuid.UUID, language: PushLanguage = PushLanguage.VI) -> str:
        token = fcm_token(f"phone-{user_id.hex[:6]}")
        await push.register_device(
            self.session, user_id, "phone", token=token, platform=Platform.ANDROID, language=language
        )
        return token

    async def alarm(
        self,
        severity: Severity = Severity.MAJOR,
        *,
        unit_code: str = WARD,
        lon: float = NAM_DINH[0],
        lat: float = NAM_DINH[1],
    ) -> Alarm:
        """An alarm raised as the rules raise one: the row and its `raised` entry, waiting for reactions."""
        if self.rule is None:
            admin = await self.person(Role.ADMIN)
            self.rule = await make_rule(self.session, admin.id)
        alarm = await make_alarm(
            self.session, self.rule, unit_code=unit_code, severity=severity, lon=lon, lat=lat
        )
        facts = await facts_of(self.session, alarm.id)
        assert facts is not None
        await journal.record(self.session, facts, kind=journal.RAISED, event_type=events.RAISED)
        return alarm

    async def react(self) -> int:
        """The alerts task's pass with the dispatch reaction alone (the officers' pushes are tested apart)."""
        handled = await react_once(self.session, self.settings, only=[offer_dispatches])
        await self.session.flush()
        return handled

    async def tick(self, now: datetime | None = None) -> TickResult:
        await self.session.flush()
        return await tasks.tick(self.sessions, self.settings, now or datetime.now(UTC))

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        return list((await self.session.execute(text(sql), params)).all())

    async def offers(self, alarm_id: uuid.UUID) -> list[Any]:
        return await self.rows(
            "SELECT * FROM dispatch_offers WHERE alarm_id = :a ORDER BY ring, distance_m", a=alarm_id
        )

    async def offered_to(self, alarm_id: uuid.UUID, *, answer: str | None = None) -> set[uuid.UUID]:
        return {o.staff_id for o in await self.offers(alarm_id) if o.answer == answer}

    async def dispatches(self, alarm_id: uuid.UUID) -> list[Any]:
        return await self.rows("SELECT * FROM dispatches WHERE alarm_id = :a ORDER BY opened_at", a=alarm_id)

    async def pushes(self, user_id: uuid.UUID, kind: str | None = None) -> list[Any]:
        found = await self.rows(
            "SELECT * FROM notifications WHERE user_id = :u ORDER BY created_at", u=user_id
        )
        return [row for row in found if kind is None or row.data.get("kind") == kind]

    async def timeline(self, alarm_id: uuid.UUID, kind: str | None = None) -> list[Any]:
        found = await self.rows("SELECT * FROM alarm_timeline WHERE alarm_id = :a ORDER BY id", a=alarm_id)
        return [row for row in found if kind is None or row.kind == kind]

    async def events(self, alarm_id: uuid.UUID, type_: str | None = None) -> list[Any]:
        found = await self.rows(
            "SELECT * FROM event_outbox WHERE subject_id = :s ORDER BY id", s=str(alarm_id)
        )
        return [row for row in found if type_ is None or row.type == type_]

    async def clear(self, alarm_id: uuid.UUID, reason: str = "rule") -> None:
        """Clear the alarm as its rule or an officer would (their routes are not this part's)."""
        await self.session.execute(
            text(
                "UPDATE alarms SET status = 'cleared_unacknowledged', cleared_at = now(), clear_reason = :r "
                "WHERE id = :a"
            ),
            {"a": alarm_id, "r": reason},
        )

    async def assign(self, alarm_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Assign the alarm as an officer would."""
        await self.session.execute(
            text("UPDATE alarms SET assignee_id = :u WHERE id = :a"), {"u": user_id, "a": alarm_id}
        )

    async def alarm_row(self, alarm_id: uuid.UUID) -> Any:
        [row] = await self.rows("SELECT * FROM alarms WHERE id = :a", a=alarm_id)
        return row
