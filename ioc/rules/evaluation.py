"""The rules on what the consumer stored (the batch hook) and on time passing (the worker's tick).

The hook, per batch: one dict lookup per message drops those of devices no rule watches; the rest are
grouped per device; the engine runs over each device's messages in time order (a rule reading several
metrics takes those a reading lacks from the device's latest values in device_state, which already holds
the batch's); alarms, timeline entries, events and changed states are written in a few bulk statements
(ioc.rules.recording). It runs inside the batch's transaction after device_state was written, which locks
each device's row in device order: two consumers holding messages of the same device take turns on it, so
the states of one device are never computed twice at once. A redelivered message was stored before and
never reaches the hook; a batch that fails or a consumer killed mid-batch rolls back alarms and readings
together, and the broker delivers the messages again.

The hook keeps in memory the states of the devices it has seen, with the device's stamp as of its last
commit (ioc.rules.repository.states): per batch it reads only the stamps, and loads (and locks) the states of
the devices whose stamp moved since, because another consumer, the tick or an officer changed them. Its copy
changes only once the batch has committed.

The tick takes the states whose due moment has come (SKIP LOCKED, bounded) and lets time act on them.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Final

from ioc.rules import engine
from ioc.rules.catalogue import Catalogue, RulesListener, Watch
from ioc.rules.compiled import Compiled
from ioc.rules.definition import SilenceRule
from ioc.rules.recording import Outcome, record
from ioc.rules.repository import states
from ioc.rules.state import NOTHING, Action, ActionKind, State
from ioc.rules.telemetry import due_after_reading, values_of
from ioc.types import SourceKind
from iot.ingest.hooks import AfterCommit, StoredBatch, StoredDetection, StoredReading

DEVICE = SourceKind.DEVICE.value


def start(rule: Compiled, loaded: states.Loaded | None) -> tuple[State | None, State, uuid.UUID | None]:
    """(the stored state, the state to run the engine from, the alarm active at load)."""
    if loaded is None:
        return None, State(rule_version=rule.version), None
    state = loaded.state
    if state.alarm_id is not None and not loaded.alarm_active:
        return state, engine.cleared_by_hand(rule, state), None
    return state, state, state.alarm_id


# Devices whose states a hook keeps in memory; past this it starts afresh.
KNOWN_DEVICES: Final = 200_000

# One device's stored states as of a commit: its stamp then, and per rule the state (None: no row).
_Known = tuple[int, dict[uuid.UUID, "states.Loaded | None"]]


class RuleHook:
    """The consumer's batch hook (iot.ingest.hooks.BatchHook) evaluating the catalogue's rules."""

    def __init__(self, catalogue: Catalogue, listener: RulesListener | None = None) -> None:
        self.catalogue = catalogue
        self._listener = listener
        self._known: dict[uuid.UUID, _Known] = {}
        # The catalogue's map the copy was made under: a reload starts it afresh.
        self._watches: dict[uuid.UUID, Watch] | None = None

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()

    async def __call__(self, connection: Any, batch: StoredBatch) -> AfterCommit | None:
        if self._listener is not None:
            await self._listener.ensure()
        await self.catalogue.ensure_fresh(connection)
        watches = self.catalogue.watches
        if watches is not self._watches:
            self._known = {}
            self._watches = watches
        if not watches:
            return None
        readings: dict[uuid.UUID, list[StoredReading]] = {}
        for reading in batch.readings:
            if reading.device_id in watches:
                readings.setdefault(reading.device_id, []).append(reading)
        detections: dict[uuid.UUID, list[StoredDetection]] = {}
        for detection in batch.detections:
            if detection.device_id in watches:
                detections.setdefault(detection.device_id, []).append(detection)
        if not readings and not detections:
            return None
        # In no particular order: the statements sort what they lock, and a device's messages are never
        # in two batches' hands at once.
        work = [
            _Device(device_id, watches[device_id], found, detections.pop(device_id, []))
            for device_id, found in readings.items()
        ]
        work += [_Device(device_id, watches[device_id], [], found) for device_id, found in detections.items()]
        stamps = await states.stamps(connection, [device.id for device in work])
        await self._load(connection, work, stamps)
        partial = [device for device in work if device.needs_known()]
        if partial:
            latest = await states.latest_metrics(connection, [device.id for device in partial])
            for device in partial:
                device.known = latest.get(device.id)
        outcomes: list[Outcome] = []
        for device in work:
            device.evaluate(outcomes)
        written: list[states.Write] = []
        stamped: dict[uuid.UUID, int] = {}
        if outcomes:
            written, stamped = await record(connection, outcomes)
        return self._after_commit(work, stamps, written, stamped)

    async def _load(self, connection: Any, work: list[_Device], stamps: dict[uuid.UUID, int]) -> None:
        """Each device's states by rule: from memory where its stamp has not moved, else loaded (and
        locked)."""
        missing: list[tuple[uuid.UUID, str]] = []
        known = self._known
        for device in work:
            mine = known.get(device.id)
            if mine is not None and mine[0] == stamps.get(device.id, 0):
                held = device.held = dict(mine[1])
                missing.extend((rule.id, device.key) for rule in device.rules if rule.id not in held)
            else:
                missing.extend((rule.id, device.key) for rule in device.rules)
        if not missing:
            return
        fetched = await states.lock_pairs(connection, missing)
        by_key = {device.key: device for device in work}
        for rule_id, key in missing:
            by_key[key].held[rule_id] = fetched.get((rule_id, key))

    def _after_commit(
        self,
        work: list[_Device],
        stamps: dict[uuid.UUID, int],
        written: list[states.Write],
        stamped: dict[uuid.UUID, int],
    ) -> AfterCommit:
        """What the copy becomes once the batch commits: the states as written, under the new stamps."""
        by_id = {device.id: device for device in work}
        for write in written:
            if write.source_kind == DEVICE:
                device = by_id.get(uuid.UUID(write.source_key))
                if device is not None:
                    state = write.state
                    device.held[write.rule_id] = states.Loaded(
                        write.rule_id, write.source_key, write.source_kind, state, state.active, None
                    )
        fresh: dict[uuid.UUID, _Known] = {}
        for device in work:
            before = stamps.get(device.id, 0)
            after = stamped.get(device.id, before)
            # Only this batch may have moved the stamp (it holds the device's row); anything else, forget.
            if after == before or after == before + 1:
                fresh[device.id] = (after, device.held)

        def apply() -> None:
            if len(self._known) + len(fresh) > KNOWN_DEVICES:
                self._known = {}
            self._known.update(fresh)

        return apply


class _Device:
    """One device's messages of the batch, in time order, the rules they can matter to and their states."""

    __slots__ = ("detections", "held", "id", "key", "known", "readings", "rules", "telemetry", "watch")

    def __init__(
        self,
        device_id: uuid.UUID,
        watch: Watch,
        readings: list[StoredReading],
        detections: list[StoredDetection],
    ) -> None:
        self.id = device_id
        self.key = str(device_id)
        self.watch = watch
        if len(readings) > 1:
            readings.sort(key=lambda r: (r.ts, r.seq))
        if len(detections) > 1:
            detections.sort(key=lambda d: (d.ts, d.seq))
        self.readings = readings
        self.detections = detections
        # Only the telemetry rules reading a metric the batch brought: the others have nothing to see.
        telemetry: tuple[Compiled, ...] = ()
        if readings and watch.telemetry:
            sent = readings[0].metrics.keys() if len(readings) == 1 else _union(readings)
            telemetry = tuple(rule for rule in watch.telemetry if not rule.metrics.isdisjoint(sent))
        self.telemetry = telemetry
        self.rules = telemetry + (watch.camera if detections else ()) + watch.silence
        # The stored state of each rule (None: no row), filled by RuleHook._load.
        self.held: dict[uuid.UUID, states.Loaded | None] = {}
        # The device's latest value of each metric, for rules reading several: loaded only when a reading
        # lacks one of theirs (devices mostly send all their metrics at once).
        self.known: dict[str, float] | None = None

    def needs_known(self) -> bool:
        return any(
            rule.multi_metric and not rule.metrics <= reading.metrics.keys()
            for rule in self.telemetry
            for reading in self.readings
        )

    def evaluate(self, into: list[Outcome]) -> None:
        held = self.held
        found: Outcome | None
        for rule in self.telemetry:
            found = _on_readings(rule, self.id, held.get(rule.id), self.readings, self.watch, self.known)
            if found is not None:
                into.append(found)
        for rule in self.watch.camera if self.detections else ():
            found = _on_detections(rule, self.id, held.get(rule.id), self.detections)
            if found is not None:
                into.append(found)
        # A silence rule only cares when it holds something (an alarm, a wait): most states are idle.
        silence = self.watch.silence
        if not silence:
            return
        heard = [held.get(rule.id) for rule in silence]
        if not any(got is not None and not got.state.idle for got in heard):
            return
        moments = [r.ts for r in self.readings[-1:]] + [d.ts for d in self.detections[-1:]]
        latest = max(moments) if moments else None
        for rule, got in zip(silence, heard, strict=True):
            found = _spoke(rule, self.id, got, latest)
            if found is not None:
                into.append(found)


def _union(readings: list[StoredReading]) -> set[str]:
    sent: set[str] = set()
    for reading in readings:
        sent.update(reading.metrics)
    return sent


def _on_readings(
    rule: Compiled,
    device_id: uuid.UUID,
    loaded: states.Loaded | None,
    readings: list[StoredReading],
    watch: Watch,
    known: dict[str, float] | None,
) -> Outcome | None:
    started = start(rule, loaded)
    state = started[1]
    actions: list[tuple[Action, dict[str, Any]]] = []
    metrics = rule.metrics
    fresh_for = watch.fresh_for
    for reading in readings:
        if metrics.isdisjoint(reading.metrics):
            continue  # says nothing this rule reads
        state, action = engine.on_reading(rule, state, reading.ts, reading.metrics, fresh_for, known)
        if action is not NOTHING:
            seen = values_of(rule, reading.metrics, known)
            values = {m: v for m, v in seen.items() if m in metrics}
            actions.append((action, {"values": values, "ts": reading.ts.isoformat()}))
    if started[0] is not None and all(action.kind is ActionKind.REPEAT for action, _ in actions):
        # A repeat is counted in the alarm's row: the state need not move with each one.
        state = settled(rule, started[0], state, fresh_for)
    return outcome(rule, device_id, started, state, actions)


# How far a telemetry state's stored moments may lag behind its readings, so that a reading changing
# nothing else (or only repeating the active alarm) costs no state write: the newest reading's time by a
# tenth of the device's liveness window (the tick then sees a silent device's last reading as stale that
# much early), the trigger's last holding by a twentieth of the rule's clearing by absence (which may come
# that much early once the trigger stopped).
LAST_TS_SLACK: Final = 0.1
ABSENCE_SLACK: Final = 0.05


def settled(rule: Compiled, before: State, after: State, fresh_for: float) -> State:
    """`before` when `after` differs from it only by moments within their slack (and the due moment that
    follows from them); else `after`."""
    if after.last_ts == before.last_ts and after.last_true_at == before.last_true_at:
        return after
    slack = fresh_for * LAST_TS_SLACK
    if rule.absent_seconds is not None:
        slack = min(slack, rule.absent_seconds * ABSENCE_SLACK)
    for old, new in ((before.last_ts, after.last_ts), (before.last_true_at, after.last_true_at)):
        if old != new and (old is None or new is None or (new - old).total_seconds() >= slack):
            return after
    probe = after.copy()
    probe.last_ts = before.last_ts
    probe.last_true_at = before.last_true_at
    if probe.same_as(before):
        return before
    # A moment that moves with the trigger's last holding (a clearing by absence) lags with it.
    probe.due_at = due_after_reading(rule, probe, fresh_for)
    return before if probe.same_as(before) else after


def _on_detections(
    rule: Compiled, device_id: uuid.UUID, loaded: states.Loaded | None, detections: list[StoredDetection]
) -> Outcome | None:
    started = start(rule, loaded)
    state = started[1]
    actions: list[tuple[Action, dict[str, Any]]] = []
    for detection in detections:
        state, action = engine.on_detection(rule, state, detection.ts, detection.type, detection.confidence)
        if action is not NOTHING:
            details = {
                "detection": detection.type,
                "confidence": detection.confidence,
                "snapshot_key": detection.snapshot_key,
                "ts": detection.ts.isoformat(),
            }
            actions.append((action, details))
    return outcome(rule, device_id, started, state, actions)


def _spoke(
    rule: Compiled, device_id: uuid.UUID, loaded: states.Loaded | None, at: datetime | None
) -> Outcome | None:
    """A silence rule hears the device: an alarm it raised clears (only states that hold something)."""
    if loaded is None or at is None or loaded.state.idle:
        return None
    started = start(rule, loaded)
    state, action = engine.on_silence(rule, started[1], at, engine.BACK)
    actions = [] if action is NOTHING else [(action, {"ts": at.isoformat()})]
    return outcome(rule, device_id, started, state, actions)


def outcome(
    rule: Compiled,
    device_id: uuid.UUID | None,
    started: tuple[State | None, State, uuid.UUID | None],
    after: State,
    actions: list[tuple[Action, dict[str, Any]]],
    *,
    source_kind: str = DEVICE,
    source_key: str | None = None,
    unit_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> Outcome | None:
    """What to record for one pair, from `start`'s triple and the engine's result; None when nothing
    happened and the stored state stays as it is."""
    before, _, active = started
    if not actions and before is not None and after.same_as(before):
        return None
    return Outcome(
        rule=rule,
        source_kind=source_kind,
        source_key=source_key or str(device_id),
        device_id=device_id,
        before=before,
        after=after,
        actions=actions,
        active_alarm_id=active,
        unit_code=unit_code,
        lon=lon,
        lat=lat,
    )


# --- the tick ----------------------------------------------------------------------------------------------


async def due_pass(connection: Any, catalogue: Catalogue, now: datetime, limit: int) -> int:
    """Let time act on up to `limit` due states; how many were due."""
    due = await states.lock_due(connection, now, limit)
    outcomes: list[Outcome] = []
    stopped: list[states.Write] = []
    for loaded in due:
        rule = catalogue.rules.get(loaded.rule_id)
        if rule is None:
            # Disabled or deleted: it decides nothing more (an alarm it raised waits for an officer).
            after = loaded.state.copy()
            after.due_at = None
            stopped.append(states.Write(loaded.rule_id, loaded.source_key, loaded.source_kind, after))
        elif (found := _on_time(rule, loaded, now)) is not None:
            outcomes.append(found)
    await record(connection, outcomes, also=stopped)
    return len(due)


def _on_time(rule: Compiled, loaded: states.Loaded, now: datetime) -> Outcome | None:
    row = loaded.row
    device_id = uuid.UUID(loaded.source_key) if loaded.source_kind == DEVICE else None
    started = start(rule, loaded)
    fresh_for = row["window"]
    heard = None
    if fresh_for is not None and isinstance(rule.definition, SilenceRule):
        heard = engine.hearing(
            now,
            row["last_seen_at"],
            row["reported_state"],
            row["reported_at"],
            window=fresh_for,
            grace=rule.definition.grace_seconds,
            reasons=rule.definition.reasons,
        )
    after, action = engine.on_time(rule, started[1], now, fresh_for=fresh_for, heard=heard)
    offline = None if heard is None else heard.offline
    actions = [] if action is NOTHING else [(action, time_details(rule, action, row, offline))]
    return outcome(
        rule, device_id, started, after, actions, source_kind=loaded.source_kind, source_key=loaded.source_key
    )


def time_details(rule: Compiled, action: Action, row: Any, offline: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"by": "time"}
    if action.kind is ActionKind.RAISE and offline is not None:
        details["reason"] = offline
        seen = row["last_seen_at"]
        details["last_seen_at"] = None if seen is None else seen.isoformat()
    metrics = row["metrics"]
    if metrics and rule.metrics:
        known = json.loads(metrics) if isinstance(metrics, str) else metrics
        details["values"] = {m: v for m, v in known.items() if m in rule.metrics}
    return details
