"""The SQL of rule states (alert_rule_states) on an asyncpg connection, inside the caller's transaction.

Loading locks the states (in key order, so two transactions lock them in the same order) and the active
alarms they name: an officer's clear cannot slip between reading a state and writing its alarm, and an
alarm he cleared before is seen as cleared.

Every writer of a device's states holds that device's device_state row lock first (the consumer's batch
took it writing the row; the tick and the silence pass take it here; an officer's clear in
ioc.alarms.repository.stamps), and writing bumps the device's stamp (alert_device_stamps) in the same
transaction. So the lock order is always device_state, then states, then alarms, and a consumer holding the
row lock that finds the stamp it remembers knows its copy of the device's states is current.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ioc.rules.repository.liveness import window_of
from ioc.rules.state import State
from ioc.types import SourceKind

DEVICE: Final = SourceKind.DEVICE.value

_STATE_COLUMNS: Final = """s.rule_id, s.source_key, s.source_kind, s.rule_version, s.last_ts, s.held_since,
       s.last_true_at, s.clear_since, s.alarm_id, s.severity, s.memory::text AS memory, s.due_at"""

# The alarms a set of locked states names, locked too, and whether each is still active.
_LIVE: Final = """live AS (
    SELECT a.id FROM alarms a
    WHERE a.id IN (SELECT alarm_id FROM locked WHERE alarm_id IS NOT NULL) AND a.cleared_at IS NULL
    ORDER BY a.id
    FOR UPDATE
)"""

_LOCK_PAIRS: Final = f"""
WITH locked AS (
    SELECT * FROM alert_rule_states
    WHERE (rule_id, source_key) IN (SELECT * FROM unnest($1::uuid[], $2::text[]))
    ORDER BY rule_id, source_key
    FOR UPDATE
), {_LIVE}
SELECT {_STATE_COLUMNS}, live.id IS NOT NULL AS alarm_active
FROM locked s LEFT JOIN live ON live.id = s.alarm_id
"""  # noqa: S608 (constants of this module only)

# The devices of the first due states, their device_state rows locked (those a consumer's batch holds are
# left for the next tick). A state of a device gone since (no row) needs no lock: no batch can hold it.
_LOCK_DUE_DEVICES: Final = """
SELECT ds.device_id FROM device_state ds
WHERE ds.device_id IN (
    SELECT source_key::uuid FROM alert_rule_states
    WHERE due_at <= $1 AND source_kind = 'device'
    ORDER BY due_at
    LIMIT $2
)
ORDER BY ds.device_id
FOR UPDATE SKIP LOCKED
"""

# The tick's share of due states; others running at once take the next ones. The device and its latest
# state come along (report clusters have none): its liveness window and whether it is silent.
_LOCK_DUE: Final = f"""
WITH locked AS (
    SELECT * FROM alert_rule_states st
    WHERE due_at <= $1
      AND (source_kind <> 'device' OR source_key = ANY($3::text[])
           OR NOT EXISTS (SELECT 1 FROM device_state x WHERE x.device_id = st.source_key::uuid))
    ORDER BY due_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
), {_LIVE}
SELECT {_STATE_COLUMNS}, live.id IS NOT NULL AS alarm_active,
       d.type AS device_type, d.status AS device_status, {window_of("d")} AS window,
       ds.last_seen_at, ds.reported_state, ds.reported_at, ds.metrics::text AS metrics
FROM locked s
LEFT JOIN live ON live.id = s.alarm_id
LEFT JOIN devices d ON d.id = CASE WHEN s.source_kind = 'device' THEN s.source_key::uuid END
LEFT JOIN device_state ds ON ds.device_id = d.id
"""  # noqa: S608 (constants of this module only)

_UPSERT: Final = """
INSERT INTO alert_rule_states AS s (rule_id, source_key, source_kind, rule_version, last_ts, held_since,
                                    last_true_at, clear_since, alarm_id, severity, memory, due_at, updated_at)
SELECT u.rule_id, u.source_key, u.source_kind, u.rule_version, u.last_ts, u.held_since, u.last_true_at,
       u.clear_since, u.alarm_id, u.severity, u.memory, u.due_at, now()
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int4[], $5::timestamptz[], $6::timestamptz[],
            $7::timestamptz[], $8::timestamptz[], $9::uuid[], $10::text[], $11::jsonb[], $12::timestamptz[])
     AS u(rule_id, source_key, source_kind, rule_version, last_ts, held_since, last_true_at, clear_since,
          alarm_id, severity, memory, due_at)
ORDER BY u.rule_id, u.source_key
ON CONFLICT (rule_id, source_key) DO UPDATE SET
  source_kind = excluded.source_kind,
  rule_version = excluded.rule_version,
  last_ts = excluded.last_ts,
  held_since = excluded.held_since,
  last_true_at = excluded.last_true_at,
  clear_since = excluded.clear_since,
  alarm_id = excluded.alarm_id,
  severity = excluded.severity,
  memory = excluded.memory,
  due_at = excluded.due_at,
  updated_at = now()
"""

# One bump per device whose states were written (a device deleted since has no stamp to keep).
_BUMP: Final = """
INSERT INTO alert_device_stamps AS t (device_id, stamp)
SELECT d.id, 1 FROM devices d WHERE d.id = ANY($1::uuid[])
ORDER BY d.id
ON CONFLICT (device_id) DO UPDATE SET stamp = t.stamp + 1
RETURNING device_id, stamp
"""

_STAMPS: Final = "SELECT device_id, stamp FROM alert_device_stamps WHERE device_id = ANY($1::uuid[])"

_LOCK_DEVICES: Final = """
SELECT device_id FROM device_state WHERE device_id = ANY($1::uuid[]) ORDER BY device_id FOR UPDATE
"""


@dataclass(frozen=True, slots=True)
class Loaded:
    """A stored state, with whether the alarm it names is still active."""

    rule_id: uuid.UUID
    source_key: str
    source_kind: str
    state: State
    alarm_active: bool
    row: Any  # the whole row: the tick reads the device's columns from it


@dataclass(frozen=True, slots=True)
class Write:
    rule_id: uuid.UUID
    source_key: str
    source_kind: str
    state: State


def _loaded(row: Any) -> Loaded:
    memory = row["memory"]
    state = State(
        rule_version=row["rule_version"],
        last_ts=row["last_ts"],
        held_since=row["held_since"],
        last_true_at=row["last_true_at"],
        clear_since=row["clear_since"],
        alarm_id=row["alarm_id"],
        severity=row["severity"],
        memory=json.loads(memory) if memory and memory != "{}" else {},
        due_at=row["due_at"],
    )
    return Loaded(row["rule_id"], row["source_key"], row["source_kind"], state, row["alarm_active"], row)


async def lock_pairs(
    connection: Any, pairs: Sequence[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], Loaded]:
    """The stored states among (rule_id, source_key) pairs, locked; pairs with no state are absent."""
    if not pairs:
        return {}
    rows = await connection.fetch(_LOCK_PAIRS, [p[0] for p in pairs], [p[1] for p in pairs])
    return {(row["rule_id"], row["source_key"]): _loaded(row) for row in rows}


async def latest_metrics(
    connection: Any, device_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, float]]:
    """Each device's latest value of every metric it sent (device_state, already holding this batch's)."""
    rows = await connection.fetch(
        "SELECT device_id, metrics::text AS metrics FROM device_state WHERE device_id = ANY($1::uuid[])",
        list(device_ids),
    )
    return {row["device_id"]: json.loads(row["metrics"]) for row in rows if row["metrics"]}


async def lock_due(connection: Any, now: datetime, limit: int) -> list[Loaded]:
    """Up to `limit` states due at `now`, locked with their devices' device_state rows (skipping those
    another transaction holds)."""
    devices = await connection.fetch(_LOCK_DUE_DEVICES, now, limit)
    rows = await connection.fetch(_LOCK_DUE, now, limit, [str(row[0]) for row in devices])
    return [_loaded(row) for row in rows]


async def lock_devices(connection: Any, device_ids: Sequence[uuid.UUID]) -> None:
    """Lock the devices' device_state rows (in device order), waiting for a batch holding one."""
    if device_ids:
        await connection.execute(_LOCK_DEVICES, list(device_ids))


async def stamps(connection: Any, device_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The devices' stamps (a device whose states were never written has none: 0)."""
    rows = await connection.fetch(_STAMPS, list(device_ids))
    return {row[0]: row[1] for row in rows}


async def upsert(connection: Any, writes: Sequence[Write]) -> dict[uuid.UUID, int]:
    """Write the states; the new stamp of each device whose states were written."""
    if not writes:
        return {}
    rows = [
        (
            w.rule_id,
            w.source_key,
            w.source_kind,
            w.state.rule_version,
            w.state.last_ts,
            w.state.held_since,
            w.state.last_true_at,
            w.state.clear_since,
            w.state.alarm_id,
            w.state.severity,
            json.dumps(w.state.memory, separators=(",", ":")),
            w.state.due_at,
        )
        for w in writes
    ]
    await connection.execute(_UPSERT, *(list(column) for column in zip(*rows, strict=True)))
    devices = {uuid.UUID(w.source_key) for w in writes if w.source_kind == DEVICE}
    if not devices:
        return {}
    return {row[0]: row[1] for row in await connection.fetch(_BUMP, list(devices))}
