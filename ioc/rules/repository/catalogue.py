"""The catalogue's SQL, on an asyncpg connection (the consumer's batch connection, or the raw connection under
a worker's session): the rules in force, which devices each watches, and a cheap signature of both.

Also the LISTEN on smartcity_rules, which the rules' admin routes NOTIFY on every change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import asyncpg

from ioc.rules.repository.liveness import window_of

RULES_CHANNEL: Final = "smartcity_rules"

# Enabled, not deleted rules at their current version.
_RULES: Final = """
SELECT r.id, r.current_version AS version, v.definition::text AS definition
FROM alert_rules r
JOIN alert_rule_versions v ON v.rule_id = r.id AND v.version = r.current_version
WHERE r.enabled AND r.deleted_at IS NULL
"""

# What a change of rules or devices moves: counts and the latest change of each table.
_SIGNATURE: Final = """
SELECT (SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM alert_rules)
       || '|' ||
       (SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM devices) AS signature
"""

# Which devices each rule of the given kinds watches, as one row per device. Each rule's candidates come
# from the most selective part of its scope, through equality joins (its units, else its device types,
# else its zone, else every device), so the work grows with the pairs found rather than with
# rules x devices; the rest of the scope then filters them.
_WATCHERS: Final = f"""
WITH rules AS (
    SELECT r.id, v.unit_codes, v.device_types, v.zone
    FROM alert_rules r
    JOIN alert_rule_versions v ON v.rule_id = r.id AND v.version = r.current_version
    WHERE r.enabled AND r.deleted_at IS NULL AND r.kind = ANY($1::text[])
), pairs AS (
    SELECT r.id AS rule_id, d.id AS device_id
    FROM rules r CROSS JOIN LATERAL unnest(r.unit_codes) AS u(code) JOIN devices d ON d.ward_code = u.code
    UNION
    SELECT r.id, d.id
    FROM rules r CROSS JOIN LATERAL unnest(r.unit_codes) AS u(code) JOIN devices d ON d.province_code = u.code
    UNION ALL
    SELECT r.id, d.id
    FROM rules r CROSS JOIN LATERAL unnest(r.device_types) AS t(type) JOIN devices d ON d.type = t.type
    WHERE r.unit_codes IS NULL
    UNION ALL
    SELECT r.id, d.id
    FROM rules r JOIN devices d ON ST_Contains(r.zone, d.location)
    WHERE r.unit_codes IS NULL AND r.device_types IS NULL AND r.zone IS NOT NULL
    UNION ALL
    SELECT r.id, d.id
    FROM rules r CROSS JOIN devices d
    WHERE r.unit_codes IS NULL AND r.device_types IS NULL AND r.zone IS NULL
)
SELECT d.id AS device_id, d.type, {window_of("d")} AS window, array_agg(DISTINCT p.rule_id) AS rule_ids
FROM pairs p
JOIN rules r ON r.id = p.rule_id
JOIN devices d ON d.id = p.device_id
WHERE d.status <> 'decommissioned'
  AND (r.device_types IS NULL OR d.type = ANY(r.device_types))
  AND (r.zone IS NULL OR ST_Contains(r.zone, d.location))
GROUP BY d.id
"""  # noqa: S608 (constants only)


async def rules_in_force(connection: Any) -> list[Any]:
    """(id, version, definition as JSON text) of every enabled, not deleted rule."""
    rows: list[Any] = await connection.fetch(_RULES)
    return rows


async def signature(connection: Any) -> str:
    value: str = await connection.fetchval(_SIGNATURE)
    return value


async def watchers(connection: Any, kinds: list[str]) -> list[Any]:
    """(device_id, type, window, rule_ids) of every device some rule of `kinds` watches; `window` is its
    liveness window in seconds."""
    rows: list[Any] = await connection.fetch(_WATCHERS, kinds)
    return rows


async def listen(dsn: str, on_change: Callable[[], None]) -> Any:
    """A connection of its own LISTENing on smartcity_rules; `on_change` runs on each notification."""
    connection = await asyncpg.connect(
        dsn, timeout=10, server_settings={"application_name": "smartcity-rules"}
    )
    try:
        await connection.add_listener(RULES_CHANNEL, lambda *_: on_change())
    except BaseException:
        await connection.close()
        raise
    return connection
