"""What each officer wants on his phone: which alarm types, from which severity, and his quiet hours.

A critical alarm reaches him whatever he chose. Quiet hours are local time in Asia/Ho_Chi_Minh and may run
over midnight (22:00 to 06:00); the window includes its start and excludes its end. Someone who never chose
anything gets every alarm his unit pushes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE
from ioc.alarms.repository import settings as repository
from ioc.alarms.repository.settings import PreferencesRow
from ioc.types import Severity, at_least


@dataclass(frozen=True, slots=True)
class Preferences:
    alarm_types: frozenset[str] | None = None  # None: every type
    min_severity: Severity = Severity.INDETERMINATE
    quiet_start: time | None = None
    quiet_end: time | None = None

    @classmethod
    def of_row(cls, row: PreferencesRow | None) -> Preferences:
        if row is None:
            return EVERYTHING
        return cls(
            alarm_types=None if row.alarm_types is None else frozenset(row.alarm_types),
            min_severity=Severity(row.min_severity),
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
        )

    def quiet_at(self, moment: datetime) -> bool:
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local = moment.astimezone(LOCAL_ZONE).time().replace(tzinfo=None)
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end

    def lets_through(self, severity: Severity | str, alarm_type: str, moment: datetime) -> bool:
        """Whether an alarm of this severity and type may be pushed to this person at `moment`."""
        if Severity(severity) is Severity.CRITICAL:
            return True
        if self.alarm_types is not None and alarm_type not in self.alarm_types:
            return False
        if not at_least(severity, self.min_severity):
            return False
        return not self.quiet_at(moment)


EVERYTHING = Preferences()


async def preferences_of(session: AsyncSession, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Preferences]:
    """Everyone's preferences (the default for those who chose none), in one query."""
    rows = await repository.preferences_of(session, user_ids)
    return {user_id: Preferences.of_row(rows.get(user_id)) for user_id in user_ids}


async def read_preferences(session: AsyncSession, user_id: uuid.UUID) -> Preferences:
    return (await preferences_of(session, [user_id]))[user_id]


async def change_preferences(session: AsyncSession, user_id: uuid.UUID, chosen: Preferences) -> Preferences:
    await repository.save_preferences(
        session,
        user_id,
        alarm_types=None if chosen.alarm_types is None else sorted(chosen.alarm_types),
        min_severity=chosen.min_severity.value,
        quiet_start=chosen.quiet_start,
        quiet_end=chosen.quiet_end,
    )
    return chosen
