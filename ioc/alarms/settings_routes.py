"""Who hears about alarms: a unit's alert settings (its officers and admins) and each staff member's own
alert preferences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from core.http.deps import SessionDep, SettingsDep
from core.http.policies import Officer, Staff
from core.http.responses import UNAUTHENTICATED, problem, responses
from ioc.alarms import preferences, unit_settings
from ioc.alarms.preferences import Preferences
from ioc.alarms.schemas import (
    AlertPreferencesRead,
    AlertPreferencesWrite,
    UnitAlertSettingsRead,
    UnitAlertSettingsWrite,
    format_local_time,
    parse_local_time,
)
from ioc.alarms.unit_settings import EffectiveAlertSettings

UnitCode = Annotated[str, Path(pattern=r"^[0-9]{2}([0-9]{3})?$", description="A province or ward code.")]

UNIT_ERRORS = responses(
    UNAUTHENTICATED,
    problem(
        403, "Not an officer or admin (code forbidden), or a unit outside the caller's (code outside_unit)"
    ),
    problem(404, "No such unit (code unit_not_found)"),
)
BODY_ERROR = problem(422, "The body is not valid (code validation_error)")

router = APIRouter(tags=["alerts"])


def _settings_read(found: EffectiveAlertSettings) -> UnitAlertSettingsRead:
    return UnitAlertSettingsRead(
        unit_code=found.unit_code,
        push_min_severity=found.push_min_severity,
        dispatch_min_severity=found.dispatch_min_severity,
        reminder_seconds=dict(found.reminder_seconds),
        source=found.source.value,
    )


@router.get(
    "/api/v1/units/{unit_code}/alert-settings",
    response_model=UnitAlertSettingsRead,
    summary="A unit's alert settings (its own, its province's, or the defaults)",
    responses=UNIT_ERRORS,
)
async def get_unit_alert_settings(
    db: SessionDep, principal: Officer, settings: SettingsDep, unit_code: UnitCode
) -> UnitAlertSettingsRead:
    return _settings_read(await unit_settings.read_settings(db, principal, unit_code, settings))


@router.put(
    "/api/v1/units/{unit_code}/alert-settings",
    response_model=UnitAlertSettingsRead,
    summary="Set a unit's alert settings",
    description="Replaces the unit's own settings; a ward with settings of its own no longer follows its "
    "province's.",
    responses=responses(UNIT_ERRORS, BODY_ERROR),
)
async def put_unit_alert_settings(
    db: SessionDep,
    principal: Officer,
    settings: SettingsDep,
    unit_code: UnitCode,
    body: UnitAlertSettingsWrite,
) -> UnitAlertSettingsRead:
    changed = await unit_settings.change_settings(
        db,
        principal,
        unit_code,
        push_min_severity=body.push_min_severity,
        dispatch_min_severity=body.dispatch_min_severity,
        reminder_seconds=body.reminder_seconds,
        settings=settings,
    )
    return _settings_read(changed)


def _preferences_read(chosen: Preferences) -> AlertPreferencesRead:
    return AlertPreferencesRead(
        alarm_types=None if chosen.alarm_types is None else sorted(chosen.alarm_types),
        min_severity=chosen.min_severity,
        quiet_start=format_local_time(chosen.quiet_start),
        quiet_end=format_local_time(chosen.quiet_end),
    )


ME_ERRORS = responses(UNAUTHENTICATED, problem(403, "Not staff (code forbidden)"))


@router.get(
    "/api/v1/me/alert-preferences",
    response_model=AlertPreferencesRead,
    summary="Which alarms reach the caller's phone",
    responses=ME_ERRORS,
)
async def get_alert_preferences(db: SessionDep, principal: Staff) -> AlertPreferencesRead:
    return _preferences_read(await preferences.read_preferences(db, principal.user_id))


@router.put(
    "/api/v1/me/alert-preferences",
    response_model=AlertPreferencesRead,
    summary="Choose which alarms reach the caller's phone (critical ones always do)",
    responses=responses(ME_ERRORS, BODY_ERROR),
)
async def put_alert_preferences(
    db: SessionDep, principal: Staff, body: AlertPreferencesWrite
) -> AlertPreferencesRead:
    chosen = Preferences(
        alarm_types=None if body.alarm_types is None else frozenset(body.alarm_types),
        min_severity=body.min_severity,
        quiet_start=parse_local_time(body.quiet_start),
        quiet_end=parse_local_time(body.quiet_end),
    )
    return _preferences_read(await preferences.change_preferences(db, principal.user_id, chosen))
