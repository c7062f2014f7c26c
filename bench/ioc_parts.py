"""Parts of bench/ioc_alerts.py: the rules it loads, the probe devices whose first reading raises an alarm,
the WebSocket listener and the FCM fake that time what follows, and the field staff offered the alarms."""

from __future__ import annotations

import asyncio
import json
import math
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import paho.mqtt.client as mqtt
import websockets
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import TypeAdapter

from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token
from core.settings import Settings
from ioc.rules.definition import RuleDefinition
from tests.core.push.fcm_fake import FcmFake, Recorded

DEFINITION: TypeAdapter[Any] = TypeAdapter(RuleDefinition)
PROBE_ALARM_TYPE = "bench_probe"
# How many devices each zone-scoped rule watches.
ZONE_DEVICES = 8


def dsn(settings: Settings) -> str:
    return settings.database_dsn.replace("postgresql+asyncpg://", "postgresql://", 1)


# --- the rules --------------------------------------------------------------------------------------------


def _telemetry(i: int) -> dict[str, Any]:
    """Four shapes over what the benchmark's publishers send (pm25 20 to 80, pm10 = 1.6 pm25, humidity 81)."""
    shapes: list[dict[str, Any]] = [
        {"metric": "pm25", "op": ">", "value": 70},
        {"all": [{"metric": "pm25", "op": ">", "value": 60}, {"metric": "humidity", "op": ">", "value": 80}]},
        {"any": [{"metric": "pm25", "op": ">", "value": 75}, {"metric": "pm10", "op": ">", "value": 125}]},
        {"metric": "pm25", "rises_by": 45, "within_seconds": 600},
    ]
    condition = shapes[i % len(shapes)]
    rule: dict[str, Any] = {
        "kind": "telemetry",
        "name": f"Bench telemetry {i}",
        "alarm_type": "air_quality",
        "condition": condition,
        "for_seconds": (i % 3) * 10,
        "severities": [{"severity": "warning"}, {"severity": "major", "after_seconds": 300}],
    }
    if "metric" in condition and "op" in condition:
        rule["clear"] = {"condition": {"metric": "pm25", "op": "<", "value": 40}, "for_seconds": 30}
    else:
        rule["clear"] = {"absent_seconds": 120}
    return rule


def _rule(i: int, total: int) -> dict[str, Any]:
    """70% telemetry, then cameras, silence and report surges, each a tenth."""
    share = i / total
    if share < 0.7:
        return _telemetry(i)
    if share < 0.8:
        return {
            "kind": "camera",
            "name": f"Bench camera {i}",
            "alarm_type": "fire",
            "scope": {"device_types": ["camera_security", "camera_traffic"]},
            "detection_types": ["fire", "smoke"],
            "min_confidence": 0.8,
            "severities": [{"severity": "critical"}],
        }
    if share < 0.9:
        return {
            "kind": "silence",
            "name": f"Bench silence {i}",
            "alarm_type": "device_offline",
            "severities": [{"severity": "minor"}],
        }
    return {
        "kind": "report_surge",
        "name": f"Bench surge {i}",
        "alarm_type": "flood_reports",
        "category_code": "flooding",
        "min_reports": 3,
        "radius_m": 300,
        "window_seconds": 1800,
        "severities": [{"severity": "major"}],
    }


def _zone(center: tuple[float, float], points: list[tuple[float, float]]) -> dict[str, Any]:
    """A box around the ZONE_DEVICES devices nearest `center`."""
    nearest = sorted(points, key=lambda p: (p[0] - center[0]) ** 2 + (p[1] - center[1]) ** 2)[:ZONE_DEVICES]
    pad = 0.0002
    west, east = min(p[0] for p in nearest) - pad, max(p[0] for p in nearest) + pad
    south, north = min(p[1] for p in nearest) - pad, max(p[1] for p in nearest) + pad
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


_INSERT_RULE = """
WITH rule AS (
  INSERT INTO alert_rules (id, kind, current_version, enabled, created_by) VALUES ($1, $2, 1, true, $3)
)
INSERT INTO alert_rule_versions (rule_id, version, definition, name, alarm_type, unit_codes, device_types,
                                 zone, created_by)
VALUES ($1, 1, $4::jsonb, $5, $6, $7, $8,
        CASE WHEN $9::text IS NULL THEN NULL ELSE ST_SetSRID(ST_GeomFromGeoJSON($9), 4326) END, $3)
"""


async def admin_user(connection: Any) -> uuid.UUID:
    user_id = uuid.uuid4()
    await connection.execute(
        "INSERT INTO users (id, role, username, display_name, language, is_active) "
        "VALUES ($1, 'admin', $2, 'Bench admin', 'vi', true)",
        user_id,
        f"bench-admin-{user_id.hex[:8]}",
    )
    return user_id


async def seed_rules(settings: Settings, count: int, seed: int = 7) -> uuid.UUID:
    """`count` rules of every kind, zone-scoped around a few devices each (so the rules are spread over the
    fleet); the probe rule besides. Returns the admin who wrote them."""
    connection = await asyncpg.connect(dsn(settings))
    try:
        admin = await admin_user(connection)
        rows = await connection.fetch(
            "SELECT type, ST_X(location) AS lon, ST_Y(location) AS lat FROM devices"
        )
        by_kind: dict[str, list[tuple[float, float]]] = {}
        for row in rows:
            by_kind.setdefault("camera" if row["type"].startswith("camera") else "any", []).append(
                (row["lon"], row["lat"])
            )
            by_kind.setdefault("all", []).append((row["lon"], row["lat"]))
        rng = random.Random(seed)
        definitions = [_rule(i, count) for i in range(count)] + [probe_rule()]
        for i, raw in enumerate(definitions):
            if raw["kind"] in ("telemetry", "camera", "silence") and raw["alarm_type"] != PROBE_ALARM_TYPE:
                pool = by_kind["camera"] if raw["kind"] == "camera" else by_kind["all"]
                scope = dict(raw.get("scope", {}))
                scope["zone"] = _zone(rng.choice(pool), pool)
                raw = {**raw, "scope": scope}
            checked = DEFINITION.validate_python(raw)
            zone = checked.scope.zone
            await connection.execute(
                _INSERT_RULE,
                uuid.uuid4(),
                str(checked.kind),
                admin,
                checked.model_dump_json(),
                checked.name,
                checked.alarm_type,
                checked.scope.unit_codes,
                None if checked.scope.device_types is None else [str(t) for t in checked.scope.device_types],
                None if zone is None else zone.model_dump_json(),
            )
            if i % 200 == 0:
                await asyncio.sleep(0)
        return admin
    finally:
        await connection.close()


def probe_rule() -> dict[str, Any]:
    """Fires on the first reading over the threshold: what the latency figures time."""
    return {
        "kind": "telemetry",
        "name": "Bench probe: water over the kerb",
        "alarm_type": PROBE_ALARM_TYPE,
        "scope": {"device_types": ["water_level"]},
        "condition": {"metric": "level_cm", "op": ">", "value": 30},
        "severities": [{"severity": "major"}],
        "clear": {"condition": {"metric": "level_cm", "op": "<", "value": 20}},
    }


# --- the probes -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    device_id: str
    lon: float
    lat: float
    ward: str


async def probe_devices(settings: Settings, count: int) -> list[Probe]:
    """`count` water-level devices the load's publishers never write for, spread over the wards."""
    connection = await asyncpg.connect(dsn(settings))
    try:
        rows = await connection.fetch(
            """
            WITH wards AS (SELECT code, parent_code, boundary FROM admin_units WHERE level = 'ward'),
            spots AS (
              SELECT w.code, w.parent_code, (ST_Dump(ST_GeneratePoints(w.boundary, $1, 11))).geom AS point
              FROM wards w
            ), numbered AS (
              SELECT *, row_number() OVER (ORDER BY code, ST_X(point)) AS n FROM spots
            )
            INSERT INTO devices (id, type, name, location, ward_code, province_code, metadata, status)
            SELECT gen_random_uuid(), 'water_level', 'Bench probe ' || n, point, code, parent_code, '{}',
                   'active'
            FROM numbered
            RETURNING id, ST_X(location) AS lon, ST_Y(location) AS lat, ward_code
            """,
            math.ceil(count / 9),
        )
    finally:
        await connection.close()
    probes = [Probe(str(r["id"]), r["lon"], r["lat"], r["ward_code"]) for r in rows]
    random.Random(3).shuffle(probes)
    return probes[:count]


def publish_probes(
    settings: Settings, username: str, password: str, probes: list[Probe], rate: float
) -> dict[str, float]:
    """One reading over the threshold per probe, `rate` a second; the wall time of each publish."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{username}-probe", protocol=mqtt.MQTTv5)
    client.username_pw_set(username, password)
    client.connect(settings.mqtt_host, settings.mqtt_port, keepalive=30)
    client.loop_start()
    sent: dict[str, float] = {}
    try:
        started = time.monotonic()
        for n, probe in enumerate(probes):
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            payload = json.dumps({"ts": ts, "seq": 1, "metrics": {"level_cm": 45.0}})
            sent[probe.device_id] = time.time()
            client.publish(f"city/v1/devices/{probe.device_id}/telemetry", payload, qos=1).wait_for_publish(
                10
            )
    finally:
        client.loop_stop()
        client.disconnect()
    return sent


# --- what is timed ----------------------------------------------------------------------------------------


def token(settings: Settings, user_id: uuid.UUID, role: Role, unit_code: str | None) -> str:
    return issue_access_token(settings, Principal(user_id=user_id, role=role, unit_code=unit_code))[0]


@dataclass
class Heard:
    raised: dict[str, float] = field(default_factory=dict)  # device id -> receipt of alerts.raised
    alarms: dict[str, str] = field(default_factory=dict)  # alarm id -> device id
    expected: int | None = None
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def expect(self, count: int) -> None:
        self.expected = count
        self._check()

    def _check(self) -> None:
        if self.expected is not None and len(self.raised) >= self.expected:
            self.complete.set()


async def listen(
    url: str, access_token: str, heard: Heard, stop: asyncio.Event, ready: asyncio.Event
) -> None:
    """An officer's wall: every alerts event, timed at receipt."""
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": access_token}))
        await ws.send(json.dumps({"type": "subscribe", "topics": ["alerts"]}))
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            message = json.loads(raw)
            if message.get("type") == "subscribed":
                ready.set()
            if message.get("type") != "event" or message["event"]["type"] != "alerts.raised":
                continue
            alarm = message["event"]["data"]["alarm"]
            if alarm["type"] == PROBE_ALARM_TYPE and alarm["device_id"] not in heard.raised:
                heard.raised[alarm["device_id"]] = time.time()
                heard.alarms[alarm["alarm_id"]] = alarm["device_id"]
                heard._check()


class TimedFcm(FcmFake):
    """The tests' FCM fake, also noting when each send arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, Recorded]] = []
        self._arrivals_lock = threading.Lock()

    def _answer_send(self, request: Recorded) -> Any:
        with self._arrivals_lock:
            self.arrivals.append((time.time(), request))
        return super()._answer_send(request)

    def first_offer(self) -> dict[str, float]:
        """Alarm id -> arrival of its first dispatch offer."""
        out: dict[str, float] = {}
        with self._arrivals_lock:
            for at, request in self.arrivals:
                data = request.body.get("message", {}).get("data", {})
                if data.get("kind") == "dispatch_offer" and data.get("alarm_id") not in out:
                    out[data["alarm_id"]] = at
        return out


async def field_staff(settings: Settings, base_url: str, probes: list[Probe], per_ward: int) -> int:
    """On-duty field staff with a phone each, next to the probes of every ward (through the API, as the app
    would); returns how many."""
    connection = await asyncpg.connect(dsn(settings))
    made = 0
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            by_ward: dict[str, list[Probe]] = {}
            for probe in probes:
                by_ward.setdefault(probe.ward, []).append(probe)
            for ward, spots in by_ward.items():
                for k in range(per_ward):
                    user_id = uuid.uuid4()
                    await connection.execute(
                        "INSERT INTO users (id, role, username, display_name, unit_code, language, "
                        "is_active) VALUES ($1, 'field_staff', $2, 'Bench field staff', $3, 'vi', true)",
                        user_id,
                        f"bench-field-{user_id.hex[:10]}",
                        ward,
                    )
                    headers = {"authorization": f"Bearer {token(settings, user_id, Role.FIELD_STAFF, ward)}"}
                    spot = spots[k % len(spots)]
                    answer = await http.put(
                        f"/api/v1/me/devices/bench-{user_id.hex}",
                        headers=headers,
                        json={
                            "token": f"bench-fcm-{user_id.hex}-{'x' * 24}",
                            "platform": "android",
                            "language": "vi",
                        },
                    )
                    answer.raise_for_status()
                    answer = await http.put(
                        "/api/v1/me/field-status",
                        headers=headers,
                        json={"lat": spot.lat, "lon": spot.lon, "accuracy_m": 10, "on_duty": True},
                    )
                    answer.raise_for_status()
                    made += 1
    finally:
        await connection.close()
    return made


async def commit_times(settings: Settings, alarm_ids: list[str]) -> dict[str, float]:
    """Alarm id -> the time its raising transaction started (its entry's `at`): no later than its commit, so
    a delay measured from it is an upper bound of the delay from the commit."""
    connection = await asyncpg.connect(dsn(settings))
    try:
        rows = await connection.fetch(
            "SELECT alarm_id, min(at) AS at FROM alarm_timeline WHERE alarm_id = ANY($1::uuid[]) "
            "AND kind = 'raised' GROUP BY alarm_id",
            alarm_ids,
        )
    finally:
        await connection.close()
    return {str(r["alarm_id"]): r["at"].timestamp() for r in rows}
