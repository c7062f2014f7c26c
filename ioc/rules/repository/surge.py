"""The report-surge rules' SQL, on the asyncpg connection under a submission's transaction: the rules a new
report concerns, a lock per rule, and per rule the reports around the new one and the live cluster it joins.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Final

# Advisory locks of surge rules: (this namespace, a hash of the rule id). Two reports of one cluster filed
# at once take turns, so the second counts the first and joins its alarm rather than making another.
LOCK_NAMESPACE: Final = 0x5C1E

# Enabled surge rules of the report's category whose scope holds the report.
_MATCHING: Final = """
SELECT r.id AS rule_id, r.current_version AS version, v.definition::text AS definition,
       n.unit_code, n.created_at
FROM feedback_reports n
JOIN alert_rule_versions v ON v.definition->>'category_code' = n.category_code
JOIN alert_rules r ON r.id = v.rule_id AND v.version = r.current_version
WHERE n.id = $1 AND r.kind = 'report_surge' AND r.enabled AND r.deleted_at IS NULL
  AND (v.unit_codes IS NULL OR n.ward_code = ANY(v.unit_codes) OR n.province_code = ANY(v.unit_codes))
  AND (v.zone IS NULL OR ST_Contains(v.zone, n.location))
ORDER BY r.id
"""

_LOCK: Final = """
SELECT pg_advisory_xact_lock($1::int4, hashtext(ordered.id::text))
FROM (SELECT id FROM unnest($2::uuid[]) AS id ORDER BY id) AS ordered
"""

# Per rule: the reports of the category within its radius of the new one and its window before it (their
# count, the first, their centre), and the nearest cluster of the rule the new report falls in: one with an
# active alarm, or one a report joined within the window.
_CLUSTERS: Final = """
SELECT u.rule_id, c.reports, c.first_id, c.lon, c.lat, live.source_key AS cluster
FROM unnest($2::uuid[], $3::float8[], $4::float8[]) AS u(rule_id, radius, window_seconds)
JOIN feedback_reports n ON n.id = $1
CROSS JOIN LATERAL (
    SELECT count(*) AS reports, (array_agg(o.id ORDER BY o.created_at, o.id))[1] AS first_id,
           ST_X(ST_Centroid(ST_Collect(o.location))) AS lon, ST_Y(ST_Centroid(ST_Collect(o.location))) AS lat
    FROM feedback_reports o
    WHERE o.category_code = n.category_code
      AND o.created_at BETWEEN n.created_at - make_interval(secs => u.window_seconds) AND n.created_at
      AND ST_DWithin(o.location::geography, n.location::geography, u.radius)
) AS c
LEFT JOIN LATERAL (
    SELECT s.source_key
    FROM alert_rule_states s
    LEFT JOIN alarms a ON a.id = s.alarm_id AND a.cleared_at IS NULL
    CROSS JOIN LATERAL (
        SELECT ST_SetSRID(
                   ST_MakePoint((s.memory->>'lon')::float8, (s.memory->>'lat')::float8), 4326
               )::geography AS point
    ) AS p
    WHERE s.rule_id = u.rule_id AND s.source_kind = 'report_cluster'
      AND (a.id IS NOT NULL OR s.last_true_at >= n.created_at - make_interval(secs => u.window_seconds))
      AND ST_DWithin(p.point, n.location::geography, u.radius)
    ORDER BY ST_Distance(p.point, n.location::geography)
    LIMIT 1
) AS live ON true
"""


async def matching(connection: Any, report_id: uuid.UUID) -> list[Any]:
    """(rule_id, version, definition, unit_code, created_at) of the surge rules the report concerns."""
    rows: list[Any] = await connection.fetch(_MATCHING, report_id)
    return rows


async def lock_rules(connection: Any, rule_ids: Sequence[uuid.UUID]) -> None:
    """Hold each rule's lock until the transaction ends, in id order."""
    await connection.execute(_LOCK, LOCK_NAMESPACE, list(rule_ids))


async def clusters(
    connection: Any, report_id: uuid.UUID, rules: Sequence[tuple[uuid.UUID, float, float]]
) -> list[Any]:
    """Per (rule_id, radius_m, window_seconds): (rule_id, reports, first_id, lon, lat, cluster)."""
    rows: list[Any] = await connection.fetch(
        _CLUSTERS, report_id, [r[0] for r in rules], [r[1] for r in rules], [r[2] for r in rules]
    )
    return rows
