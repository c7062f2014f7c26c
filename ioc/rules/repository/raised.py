"""The alarms the rules write, in bulk on an asyncpg connection inside the caller's transaction: new alarms,
changes of active ones (repeats, severities, clearing), and their timeline entries.

Each returns the alarms as events show them (the columns of ioc.alarms.repository.journal.FACTS_COLUMNS),
so the live events carry exactly what officers' routes would.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ioc.alarms.events import AlarmFacts
from ioc.alarms.repository.journal import FACTS_COLUMNS, NOTIFY_CHANNEL

# Severities in rising order: a conflicting insert (an active alarm the state did not know) keeps the more
# severe of the two.
_RISING: Final = "ARRAY['indeterminate', 'warning', 'minor', 'major', 'critical']"
_FACT_NAMES: Final = tuple(AlarmFacts.__dataclass_fields__)

# Changes of active alarms. A row cleared meanwhile is left alone (the states were loaded with their
# alarms locked, so that does not happen; the condition keeps it true anyway).
_UPDATE: Final = f"""
UPDATE alarms AS a SET
  count = a.count + u.added,
  last_seen_at = CASE WHEN u.last_seen IS NULL THEN a.last_seen_at
                      ELSE GREATEST(a.last_seen_at, u.last_seen) END,
  severity = coalesce(u.severity, a.severity),
  status = CASE WHEN u.cleared_at IS NULL THEN a.status
                WHEN a.acknowledged_at IS NULL THEN 'cleared_unacknowledged'
                ELSE 'cleared_acknowledged' END,
  cleared_at = coalesce(u.cleared_at, a.cleared_at),
  clear_reason = CASE WHEN u.cleared_at IS NULL THEN a.clear_reason ELSE 'rule' END,
  details = CASE WHEN u.latest IS NULL THEN a.details ELSE a.details || u.latest END,
  updated_at = now()
FROM unnest($1::uuid[], $2::int4[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::jsonb[])
     AS u(id, added, last_seen, severity, cleared_at, latest)
WHERE a.id = u.id AND a.cleared_at IS NULL
RETURNING {FACTS_COLUMNS}, u.added
"""  # noqa: S608 (constants only)

# New alarms: the unit and point are the device's unless given (report clusters). One that finds an active
# alarm for its (rule, source) becomes a repeat of it: never a second active alarm.
_INSERT: Final = f"""
INSERT INTO alarms AS a (id, rule_id, rule_version, source_kind, source_key, device_id, unit_code, location,
                         type, severity, status, title_vi, title_en, details, count, raised_at, last_seen_at,
                         cleared_at, clear_reason, updated_at)
SELECT u.id, u.rule_id, u.rule_version, u.source_kind, u.source_key, u.device_id,
       coalesce(u.unit_code, d.ward_code, d.province_code),
       CASE WHEN u.lon IS NULL THEN d.location ELSE ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) END,
       u.type, u.severity,
       CASE WHEN u.cleared_at IS NULL THEN 'active_unacknowledged' ELSE 'cleared_unacknowledged' END,
       u.title_vi, u.title_en, u.details, u.count, u.raised_at, u.last_seen, u.cleared_at,
       CASE WHEN u.cleared_at IS NULL THEN NULL ELSE 'rule' END, now()
FROM unnest($1::uuid[], $2::uuid[], $3::int4[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::float8[],
            $9::float8[], $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[], $15::int4[],
            $16::timestamptz[], $17::timestamptz[], $18::timestamptz[])
     AS u(id, rule_id, rule_version, source_kind, source_key, device_id, unit_code, lon, lat, type, severity,
          title_vi, title_en, details, count, raised_at, last_seen, cleared_at)
LEFT JOIN devices d ON d.id = u.device_id
-- A device deleted meanwhile has no unit: its alarm is not written.
WHERE coalesce(u.unit_code, d.ward_code, d.province_code) IS NOT NULL
ORDER BY u.rule_id, u.source_key
ON CONFLICT (rule_id, source_key) WHERE cleared_at IS NULL DO UPDATE SET
  count = a.count + excluded.count,
  last_seen_at = GREATEST(a.last_seen_at, excluded.last_seen_at),
  severity = CASE WHEN array_position({_RISING}, excluded.severity) > array_position({_RISING}, a.severity)
                  THEN excluded.severity ELSE a.severity END,
  updated_at = now()
RETURNING {FACTS_COLUMNS}, a.source_key, (a.xmax = 0) AS inserted
"""  # noqa: S608 (constants only)

_ENTRIES: Final = """
WITH added AS (
    INSERT INTO alarm_timeline (alarm_id, at, kind, severity, status, detail)
    SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
    RETURNING 1
)
SELECT pg_notify($7, '') FROM (SELECT 1 FROM added LIMIT 1) AS any_added
"""


@dataclass(frozen=True, slots=True)
class Change:
    """What happens to one active alarm: `added` qualifying messages, perhaps a new severity, perhaps
    cleared; `latest` is merged into its details (the newest triggering values)."""

    alarm_id: uuid.UUID
    added: int
    last_seen: datetime | None
    severity: str | None
    cleared_at: datetime | None
    latest: str | None  # JSON


@dataclass(frozen=True, slots=True)
class NewAlarm:
    id: uuid.UUID
    rule_id: uuid.UUID
    rule_version: int
    source_kind: str
    source_key: str
    device_id: uuid.UUID | None
    unit_code: str | None  # None: the device's ward, else its province
    lon: float | None  # None: the device's point
    lat: float | None
    type: str
    severity: str
    title_vi: str
    title_en: str
    details: str  # JSON
    count: int
    raised_at: datetime
    last_seen: datetime
    cleared_at: datetime | None


@dataclass(frozen=True, slots=True)
class Entry:
    alarm_id: uuid.UUID
    at: datetime
    kind: str
    severity: str | None
    status: str | None
    detail: str  # JSON


def _facts(row: Any) -> AlarmFacts:
    return AlarmFacts(**{name: row[name] for name in _FACT_NAMES})


async def change_alarms(connection: Any, changes: Sequence[Change]) -> list[tuple[AlarmFacts, int]]:
    """Apply the changes; each changed alarm as it is now, with the messages added."""
    if not changes:
        return []
    columns = _columns(changes, ("alarm_id", "added", "last_seen", "severity", "cleared_at", "latest"))
    rows = await connection.fetch(_UPDATE, *columns)
    return [(_facts(row), row["added"]) for row in rows]


async def insert_alarms(connection: Any, alarms: Sequence[NewAlarm]) -> list[tuple[AlarmFacts, str, bool]]:
    """Insert new alarms; each as it is now, with its source key and whether it is new (False: it was a
    repeat of an active alarm of the same rule and source)."""
    if not alarms:
        return []
    names = tuple(NewAlarm.__dataclass_fields__)
    rows = await connection.fetch(_INSERT, *_columns(alarms, names))
    return [(_facts(row), row["source_key"], row["inserted"]) for row in rows]


async def add_entries(connection: Any, entries: Sequence[Entry]) -> None:
    """Timeline entries, in this order, and one wake-up of the alerts task."""
    if not entries:
        return
    columns = _columns(entries, ("alarm_id", "at", "kind", "severity", "status", "detail"))
    await connection.execute(_ENTRIES, *columns, NOTIFY_CHANNEL)


def _columns(items: Sequence[Any], names: tuple[str, ...]) -> list[list[Any]]:
    return [[getattr(item, name) for item in items] for name in names]
