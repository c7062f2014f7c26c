"""The silence rules' set-based look at the fleet, once a tick: which (rule, device) pairs have something to
decide. A device offline by silence or by its last will that no active alarm (nor an officer's clear) of the
rule covers yet; and a device back online whose rule still holds an alarm or waits for it to speak.

The latest state of every device is read once; the rules' scopes and the states are joined to the few
devices that are offline or back, through the states' key.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from ioc.rules.repository.liveness import window_of

_CANDIDATES: Final = f"""
WITH rules AS (
    SELECT r.id, v.unit_codes, v.device_types, v.zone,
           coalesce((v.definition->>'grace_seconds')::float8, 0) AS grace
    FROM alert_rules r
    JOIN alert_rule_versions v ON v.rule_id = r.id AND v.version = r.current_version
    WHERE r.id = ANY($1::uuid[])
), judged AS (
    SELECT s.device_id, s.last_seen_at, s.reported_state, s.reported_at,
           coalesce(s.reported_state = 'offline' AND s.reported_at >= s.last_seen_at, false) AS goodbye,
           {window_of("d")} AS window, d.type, d.ward_code, d.province_code, d.location
    FROM device_state s JOIN devices d ON d.id = s.device_id
    WHERE d.status = 'active' AND s.last_seen_at IS NOT NULL
), offline AS (
    SELECT r.id AS rule_id, j.device_id
    FROM rules r
    JOIN judged j
      ON (j.goodbye OR j.last_seen_at < $2::timestamptz - make_interval(secs => j.window + r.grace))
    WHERE (r.unit_codes IS NULL OR j.ward_code = ANY(r.unit_codes) OR j.province_code = ANY(r.unit_codes))
      AND (r.device_types IS NULL OR j.type = ANY(r.device_types))
      AND (r.zone IS NULL OR ST_Contains(r.zone, j.location))
      AND NOT EXISTS (
          SELECT 1 FROM alert_rule_states st
          WHERE st.rule_id = r.id AND st.source_key = j.device_id::text
            AND (st.alarm_id IS NOT NULL OR st.memory ? 'wait'))
), back AS (
    SELECT st.rule_id, j.device_id
    FROM alert_rule_states st
    JOIN judged j ON j.device_id = st.source_key::uuid
    WHERE st.rule_id = ANY($1::uuid[]) AND st.source_kind = 'device'
      AND (st.alarm_id IS NOT NULL OR st.memory ? 'wait')
      AND NOT j.goodbye AND j.last_seen_at >= $2::timestamptz - make_interval(secs => j.window)
)
SELECT c.rule_id, c.device_id, j.last_seen_at, j.reported_state, j.reported_at, j.window
FROM (SELECT * FROM offline UNION SELECT * FROM back) AS c
JOIN judged j USING (device_id)
ORDER BY c.rule_id, c.device_id
"""  # noqa: S608 (constants only)


async def candidates(connection: Any, rule_ids: list[uuid.UUID], now: datetime) -> list[Any]:
    """(rule_id, device_id, last_seen_at, reported_state, reported_at, window) of the pairs whose silence
    rule may raise or clear at `now`."""
    if not rule_ids:
        return []
    rows: list[Any] = await connection.fetch(_CANDIDATES, rule_ids, now)
    return rows
