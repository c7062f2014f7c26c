"""What a unit wants from its alarms: from which severity its officers get a push and field staff are
dispatched, and how often an unacknowledged alarm reminds.

A ward without settings of its own follows its province's, and a province without any follows the defaults
of the deployment (`ioc_alerts_*` settings). `effective_settings` is the one answer every part asks (the
officers' pushes, reminders, dispatch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity.principal import Principal
from core.identity.scope import ensure_can_see_unit
from core.settings import Settings, get_settings
from ioc.alarms.repository import settings as repository
from ioc.types import Severity


class SettingsSource(StrEnum):
    UNIT = "unit"  # the unit's own row
    PROVINCE = "province"  # a ward without a row follows its province's
    DEFAULTS = "defaults"  # neither has a row: the deployment's settings


@dataclass(frozen=True, slots=True)
class EffectiveAlertSettings:
    unit_code: str
    push_min_severity: Severity
    dispatch_min_severity: Severity
    # Seconds between reminders per severity; a severity left out never reminds.
    reminder_seconds: Mapping[Severity, int]
    source: SettingsSource

    def reminder_for(self, severity: Severity | str) -> int | None:
        return self.reminder_seconds.get(Severity(severity))


def _reminders(raw: Mapping[str, object]) -> dict[Severity, int]:
    # Stored as JSON: keep only what is still a severity and a whole number, so an odd row never breaks a
    # reminder (the routes write only valid ones).
    known = {severity.value for severity in Severity}
    return {
        Severity(key): value
        for key, value in raw.items()
        if key in known and isinstance(value, int) and not isinstance(value, bool) and value > 0
    }


def defaults(unit_code: str, settings: Settings) -> EffectiveAlertSettings:
    return EffectiveAlertSettings(
        unit_code=unit_code,
        push_min_severity=Severity(settings.ioc_alerts_push_min_severity),
        dispatch_min_severity=Severity(settings.ioc_alerts_dispatch_min_severity),
        reminder_seconds=_reminders({str(k): v for k, v in settings.ioc_alerts_reminder_seconds.items()}),
        source=SettingsSource.DEFAULTS,
    )


async def effective_settings(
    session: AsyncSession, unit_code: str, *, settings: Settings | None = None
) -> EffectiveAlertSettings:
    """The settings in force for `unit_code`: its own row, else its province's, else the defaults."""
    rows = await repository.settings_rows(session, unit_code)
    own = rows.pop(unit_code, None)
    row = own if own is not None else next(iter(rows.values()), None)
    if row is None:
        return defaults(unit_code, settings or get_settings())
    return EffectiveAlertSettings(
        unit_code=unit_code,
        push_min_severity=Severity(row.push_min_severity),
        dispatch_min_severity=Severity(row.dispatch_min_severity),
        reminder_seconds=_reminders(row.reminder_seconds),
        source=SettingsSource.UNIT if own is not None else SettingsSource.PROVINCE,
    )


class SettingsCache:
    """Effective settings looked up once per unit within one batch of work (a reaction, a reminder pass)."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self._session = session
        self._settings = settings
        self._known: dict[str, EffectiveAlertSettings] = {}

    async def of(self, unit_code: str) -> EffectiveAlertSettings:
        found = self._known.get(unit_code)
        if found is None:
            found = await effective_settings(self._session, unit_code, settings=self._settings)
            self._known[unit_code] = found
        return found


def unit_not_found(unit_code: str) -> ProblemError:
    return ProblemError(
        404,
        "unit_not_found",
        Message(f"Không có đơn vị hành chính {unit_code}", f"There is no administrative unit {unit_code}"),
    )


async def _visible_unit(session: AsyncSession, principal: Principal, unit_code: str) -> None:
    # The scope first: an officer learns nothing about units outside his own, not even whether they exist.
    await ensure_can_see_unit(session, principal, unit_code)
    if await repository.unit_and_parent(session, unit_code) is None:
        raise unit_not_found(unit_code)


async def read_settings(
    session: AsyncSession, principal: Principal, unit_code: str, settings: Settings
) -> EffectiveAlertSettings:
    await _visible_unit(session, principal, unit_code)
    return await effective_settings(session, unit_code, settings=settings)


async def change_settings(
    session: AsyncSession,
    principal: Principal,
    unit_code: str,
    *,
    push_min_severity: Severity,
    dispatch_min_severity: Severity,
    reminder_seconds: Mapping[Severity, int],
    settings: Settings,
) -> EffectiveAlertSettings:
    """Replace the unit's own settings (a ward's row then no longer follows its province)."""
    await _visible_unit(session, principal, unit_code)
    await repository.save_settings(
        session,
        unit_code,
        push_min_severity=push_min_severity.value,
        dispatch_min_severity=dispatch_min_severity.value,
        reminder_seconds={severity.value: seconds for severity, seconds in reminder_seconds.items()},
    )
    return await effective_settings(session, unit_code, settings=settings)
