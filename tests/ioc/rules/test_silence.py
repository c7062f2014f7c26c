"""Silence rules: a device silent beyond its window and the rule's grace, or gone by its last will, gets one
alarm; it clears when the device speaks again, by a message in a batch or as the tick sees it back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ioc.rules import engine
from ioc.rules.catalogue import Catalogue
from ioc.rules.state import ActionKind, ClearReason
from ioc.rules.tasks import silence_once
from tests.ioc.rules.engine_support import FRESH, at, fresh, kinds, rule
from tests.ioc.rules.evaluation_support import (
    a_hook,
    alarms,
    clear_by_hand,
    events,
    reading,
    rule_and_device,
    run,
    state_of,
    tick,
    timeline,
)
from tests.support.alarms import make_device

SILENCE: dict[str, Any] = {
    "kind": "silence",
    "name": "Mất tín hiệu / Device silent",
    "alarm_type": "device_silent",
    "scope": {"device_types": ["water_level"]},
    "grace_seconds": 60,
    "severities": [{"severity": "minor"}, {"severity": "major", "after_seconds": 600}],
}
BOTH = ("silence", "last_will")


def test_what_a_silence_rule_hears() -> None:
    now = at(1000)

    def heard(seen: float | None, goodbye: bool = False, reasons: tuple[str, ...] = BOTH) -> engine.Heard:
        last = None if seen is None else at(seen)
        return engine.hearing(
            now,
            last,
            "offline" if goodbye else "online",
            last,
            window=FRESH,
            grace=60,
            reasons=reasons,
        )

    assert heard(900) == engine.Heard(online=True)
    # Past the window but within the grace: neither online nor offline.
    assert heard(1000 - FRESH - 30) == engine.Heard(online=False)
    assert heard(1000 - FRESH - 61) == engine.Heard(online=False, offline="silence")
    assert heard(990, goodbye=True) == engine.Heard(online=False, offline="last_will")
    # A rule that ignores last wills waits for the silence.
    assert heard(990, goodbye=True, reasons=("silence",)) == engine.Heard(online=False)
    assert heard(500, goodbye=True, reasons=("silence",)) == engine.Heard(online=False, offline="silence")
    assert heard(None) == engine.Heard(online=False)


def test_raise_once_escalate_by_time_clear_when_back() -> None:
    silent = rule(SILENCE)
    offline = engine.Heard(online=False, offline="silence")
    state, first = engine.on_silence(silent, fresh(silent), at(0), offline)
    state, again = engine.on_silence(silent, state, at(30), offline)
    assert kinds([first]) == ["raise:minor"]
    assert again.kind is ActionKind.NONE
    assert state.due_at == at(600)
    state, later = engine.on_time(silent, state, at(600), fresh_for=FRESH, heard=offline)
    assert kinds([later]) == ["change:major"]
    state, back = engine.on_silence(silent, state, at(700), engine.BACK)
    assert (back.kind, back.reason) == (ActionKind.CLEAR, ClearReason.SPOKE)
    assert state.idle


def test_after_a_clear_by_hand_the_device_must_speak_first() -> None:
    silent = rule(SILENCE)
    offline = engine.Heard(online=False, offline="last_will")
    state, _ = engine.on_silence(silent, fresh(silent), at(0), offline)
    handled = engine.cleared_by_hand(silent, state)
    handled, action = engine.on_silence(silent, handled, at(10), offline)
    assert action.kind is ActionKind.NONE
    handled, _ = engine.on_silence(silent, handled, at(20), engine.BACK)
    _, action = engine.on_silence(silent, handled, at(30), offline)
    assert kinds([action]) == ["raise:minor"]


async def _heard(
    session: AsyncSession,
    device_id: Any,
    seen: datetime,
    state: str | None = None,
    state_at: datetime | None = None,
) -> None:
    await session.execute(
        text(
            "INSERT INTO device_state (device_id, last_seen_at, reported_state, reported_at) "
            "VALUES (:id, :seen, :state, :state_at) ON CONFLICT (device_id) DO UPDATE SET "
            "last_seen_at = excluded.last_seen_at, reported_state = excluded.reported_state, "
            "reported_at = excluded.reported_at"
        ),
        {"id": device_id, "seen": seen, "state": state, "state_at": state_at},
    )


async def _silence(session: AsyncSession, now: datetime) -> int:
    await session.flush()
    return await silence_once(session, Catalogue(0, devices=False), now)


async def test_a_silent_device_gets_one_alarm_and_a_message_clears_it(units: AsyncSession) -> None:
    session = units
    version, silent = await rule_and_device(session, SILENCE)
    talking = await make_device(session)
    unheard = await make_device(session)  # never sent anything: not in service yet
    await _heard(session, silent.id, at(0))
    await _heard(session, talking.id, at(200))
    assert unheard.id
    # Window 180 s + grace 60 s: silent after 240 s.
    await _silence(session, at(240))
    assert await alarms(session, version.rule_id) == []
    await _silence(session, at(241))
    await _silence(session, at(250))
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.device_id, alarm.severity, alarm.count, alarm.unit_code) == (silent.id, "minor", 1, "13666")
    assert alarm.details["reason"] == "silence"
    # The device speaks: the consumer's batch clears the alarm.
    await run(session, a_hook(), [reading(silent.id, 300, level_cm=5)])
    [alarm] = await alarms(session, version.rule_id)
    assert (alarm.status, alarm.clear_reason) == ("cleared_unacknowledged", "rule")
    assert await timeline(session, alarm.id) == ["raised", "cleared"]
    cleared = (await events(session, alarm.id))[-1]
    assert cleared.data["change"]["reason"] == "spoke"
    state = await state_of(session, version.rule_id, str(silent.id))
    assert state.alarm_id is None


async def test_a_last_will_raises_and_the_tick_sees_the_device_back(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session, SILENCE)
    await _heard(session, device.id, at(0), "offline", at(0))
    await _silence(session, at(5))
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.details["reason"] == "last_will"
    # Back (an online status, which the hook does not see): the tick clears it.
    await _heard(session, device.id, at(60), "online", at(60))
    await _silence(session, at(61))
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.status == "cleared_unacknowledged"


async def test_escalation_by_time_and_an_officers_clear(units: AsyncSession) -> None:
    session = units
    version, device = await rule_and_device(session, SILENCE)
    await _heard(session, device.id, at(0))
    await _silence(session, at(300))
    await tick(session, at(899))
    assert (await alarms(session, version.rule_id))[0].severity == "minor"
    await tick(session, at(900))
    [alarm] = await alarms(session, version.rule_id)
    assert alarm.severity == "major"
    await clear_by_hand(session, alarm.id)
    # Still silent: no new alarm until it has spoken.
    await _silence(session, at(1000))
    assert len(await alarms(session, version.rule_id)) == 1
    await _heard(session, device.id, at(1100))
    await _silence(session, at(1101))
    await _silence(session, at(1100 + 241))
    assert len(await alarms(session, version.rule_id)) == 2


async def test_devices_out_of_scope_or_in_maintenance_are_left_alone(units: AsyncSession) -> None:
    session = units
    version, noise = await rule_and_device(session, SILENCE, type_="noise")
    resting = await make_device(session)
    resting.status = "maintenance"
    await _heard(session, noise.id, at(0))
    await _heard(session, resting.id, at(0))
    await _silence(session, at(0) + timedelta(hours=1))
    assert await alarms(session, version.rule_id) == []
