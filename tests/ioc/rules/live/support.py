"""Rules and alarms in the consumers' live database (tests/iot/ingest's `live_db`), for the end-to-end tests
of the rules on real consumers and the real broker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.iot.ingest.support import truncate
from tests.support.alarms import DEFINITION

# Everything these tests write besides devices and readings (which `live_db` empties itself).
TABLES = (
    "alert_rule_states, alert_device_stamps, alarm_timeline, alarms, alert_rule_versions, alert_rules, "
    "event_outbox, users"
)


@dataclass
class LiveRules:
    connection: Any
    admin: uuid.UUID | None = None

    async def empty(self) -> None:
        await truncate(self.connection, TABLES)

    async def add(self, definition: dict[str, Any]) -> uuid.UUID:
        """A rule at version 1, committed, as the rules' routes store it."""
        if self.admin is None:
            self.admin = uuid.uuid4()
            await self.connection.execute(
                "INSERT INTO users (id, role, display_name, username, language, is_active) "
                "VALUES ($1, 'admin', 'Quản trị', $2, 'vi', true)",
                self.admin,
                f"admin-{self.admin.hex[:8]}",
            )
        checked = DEFINITION.validate_python(definition)
        rule_id = uuid.uuid4()
        async with self.connection.transaction():
            await self.connection.execute(
                "INSERT INTO alert_rules (id, kind, current_version, created_by) VALUES ($1, $2, 1, $3)",
                rule_id,
                str(checked.kind),
                self.admin,
            )
            await self.connection.execute(
                "INSERT INTO alert_rule_versions (rule_id, version, definition, name, alarm_type, "
                "device_types, created_by) VALUES ($1, 1, $2::jsonb, $3, $4, $5, $6)",
                rule_id,
                checked.model_dump_json(),
                checked.name,
                checked.alarm_type,
                None if checked.scope.device_types is None else [str(t) for t in checked.scope.device_types],
                self.admin,
            )
            await self.connection.execute("SELECT pg_notify('smartcity_rules', '')")
        return rule_id

    async def alarms(self, rule_id: uuid.UUID) -> list[Any]:
        return list(
            await self.connection.fetch(
                "SELECT id, source_key, count, severity, status FROM alarms WHERE rule_id = $1 "
                "ORDER BY source_key",
                rule_id,
            )
        )

    async def counted(self, rule_id: uuid.UUID) -> int:
        """Every qualifying message the rule's alarms counted."""
        return int(
            await self.connection.fetchval(
                "SELECT coalesce(sum(count), 0) FROM alarms WHERE rule_id = $1", rule_id
            )
        )

    async def entries(self, rule_id: uuid.UUID, kind: str) -> dict[str, int]:
        """Timeline entries of one kind, counted per source."""
        rows = await self.connection.fetch(
            "SELECT a.source_key, count(*) AS n FROM alarm_timeline t JOIN alarms a ON a.id = t.alarm_id "
            "WHERE a.rule_id = $1 AND t.kind = $2 GROUP BY a.source_key",
            rule_id,
            kind,
        )
        return {row["source_key"]: row["n"] for row in rows}

    async def events(self, rule_id: uuid.UUID, event_type: str) -> dict[str, int]:
        """Outbox events of one type about the rule's alarms, counted per source."""
        rows = await self.connection.fetch(
            "SELECT a.source_key, count(*) AS n FROM event_outbox e "
            "JOIN alarms a ON e.subject_id = a.id::text "
            "WHERE a.rule_id = $1 AND e.type = $2 GROUP BY a.source_key",
            rule_id,
            event_type,
        )
        return {row["source_key"]: row["n"] for row in rows}


def every_reading(device_type: str, metric: str) -> dict[str, Any]:
    """A rule every reading of the metric meets, that never clears by itself: each stored reading is one
    more count on its device's one alarm."""
    return {
        "kind": "telemetry",
        "name": "Mọi số đo / Every reading",
        "alarm_type": "test_reading",
        "scope": {"device_types": [device_type]},
        "condition": {"metric": metric, "op": ">=", "value": -1000},
        "severities": [{"severity": "warning"}],
        "clear": {"condition": {"metric": metric, "op": "<", "value": -2000}},
    }
