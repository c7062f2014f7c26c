"""The simulator: devices placed inside the demo wards, payloads the consumer accepts, the scripted incidents
on their timeline, and the publisher's acknowledgement counts on the real broker."""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from iot.ingest.decode import CameraDetection, DeadLetter, StatusReport, Telemetry, decode
from iot.registry.broker_admin import BrokerAdmin
from iot.simulator import incidents, repository
from iot.simulator.publisher import Connection, publish_all
from iot.simulator.scenario import DeviceRun, SimDevice, seeded
from iot.types import CameraEventType, DeviceState, DeviceType

# 07:30 in Hà Nội time: the morning rush hour.
START = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)


def _run(kind: DeviceType, index: int = 1, *, seed: int = 7, interval: float = 10.0) -> DeviceRun:
    device = SimDevice(str(uuid.uuid4()), kind, index)
    return DeviceRun(device, START, 1000, seeded(seed), interval_s=interval)


def _decoded(topic: str, body: bytes, received: datetime) -> Telemetry | CameraDetection | StatusReport:
    result = decode(topic, body, received=received, max_payload_bytes=64 * 1024, retention_days=30)
    assert not isinstance(result, DeadLetter), (result, body[:200])
    return result


def _play(run: DeviceRun, seconds: float, step: float = 10.0) -> list[tuple[float, str, bytes]]:
    """Every message of `run` over `seconds`, with its elapsed time."""
    out: list[tuple[float, str, bytes]] = []
    elapsed = 0.0
    while elapsed <= seconds:
        now = START + timedelta(seconds=elapsed)
        out += [(elapsed, topic, body) for topic, body in run.step(now)]
        elapsed += step
    return out


@pytest.mark.parametrize("kind", list(DeviceType))
def test_every_message_is_accepted_by_the_consumer_with_increasing_seq(kind: DeviceType) -> None:
    run = _run(kind)
    messages = [run.status(START, DeviceState.ONLINE), *[(t, b) for _, t, b in _play(run, 3600)]]
    decoded = [_decoded(topic, body, START + timedelta(hours=1)) for topic, body in messages]
    seqs = [item.seq for item in decoded]
    assert seqs == sorted(set(seqs))
    assert seqs[0] == 1001
    assert all(item.device_ref == run.device.id for item in decoded)
    readings = [item for item in decoded if isinstance(item, Telemetry)]
    assert len(readings) == 361
    expected = {
        DeviceType.AIR_QUALITY: {"pm25", "pm10", "no2", "o3", "co", "temperature", "humidity", "aqi"},
        DeviceType.WATER_LEVEL: {"level_cm", "rain_mm"},
        DeviceType.NOISE: {"laeq_db", "lmax_db"},
        DeviceType.CAMERA_TRAFFIC: {"vehicle_count", "avg_speed_kmh"},
        DeviceType.CAMERA_SECURITY: {"people_count"},
    }[kind]
    assert all(set(item.metrics) == expected for item in readings)
    if kind is DeviceType.CAMERA_TRAFFIC:
        events = [item for item in decoded if isinstance(item, CameraDetection)]
        assert events
        assert all(e.plate and e.bbox and 0.7 <= e.confidence <= 0.99 for e in events)


def test_same_seed_gives_the_same_readings() -> None:
    first = [body for _, _, body in _play(_run(DeviceType.AIR_QUALITY, seed=3), 300)]
    again = [body for _, _, body in _play(_run(DeviceType.AIR_QUALITY, seed=3), 300)]
    other = [body for _, _, body in _play(_run(DeviceType.AIR_QUALITY, seed=4), 300)]
    assert first == again
    assert first != other


def test_rush_hour_is_busier_than_the_night() -> None:
    def mean_pm25(start: datetime) -> float:
        run = DeviceRun(SimDevice(str(uuid.uuid4()), DeviceType.AIR_QUALITY, 1), start, 0, seeded(1))
        values = []
        for minute in range(30):
            topic, body = run.step(start + timedelta(minutes=minute))[0]
            reading = _decoded(topic, body, start + timedelta(hours=1))
            assert isinstance(reading, Telemetry)
            values.append(reading.metrics["pm25"])
        return sum(values) / len(values)

    night = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)  # 03:00 local
    assert mean_pm25(START) > mean_pm25(night) + 20


def test_flood_rises_to_the_peak_on_the_incident_gauge_only() -> None:
    timeline = incidents.DEFAULT
    levels = {}
    for index in (0, 1):
        played = _play(_run(DeviceType.WATER_LEVEL, index), timeline.flood_start + timeline.flood_rise + 30)
        levels[index] = [(t, _decoded(topic, body, START + timedelta(hours=1))) for t, topic, body in played]
    incident = [(t, r.metrics["level_cm"]) for t, r in levels[0] if isinstance(r, Telemetry)]
    before = [level for t, level in incident if t < timeline.flood_start]
    rising = [
        level
        for t, level in incident
        if timeline.flood_start <= t <= timeline.flood_start + timeline.flood_rise
    ]
    assert max(before) < 20
    assert rising == sorted(rising)
    assert rising[-1] == timeline.flood_peak_cm
    assert incident[-1][1] == timeline.flood_peak_cm
    others = [r.metrics["level_cm"] for _, r in levels[1] if isinstance(r, Telemetry)]
    assert max(others) < 20


def test_pm25_spike_within_its_window() -> None:
    timeline = incidents.DEFAULT
    played = _play(_run(DeviceType.AIR_QUALITY, 0), 150, step=5)
    by_time = {t: _decoded(topic, body, START + timedelta(hours=1)) for t, topic, body in played}
    for t, reading in by_time.items():
        assert isinstance(reading, Telemetry)
        spiking = timeline.pm25_start <= t < timeline.pm25_end
        assert (reading.metrics["pm25"] == timeline.pm25_peak) is spiking
        if spiking:
            assert reading.metrics["aqi"] > 300


def test_smoke_detected_once_with_a_small_jpeg_snapshot() -> None:
    played = _play(_run(DeviceType.CAMERA_SECURITY, 0), 120, step=5)
    events = [
        (t, _decoded(topic, body, START + timedelta(hours=1)))
        for t, topic, body in played
        if topic.endswith("/event")
    ]
    assert len(events) == 1
    t, smoke = events[0]
    assert isinstance(smoke, CameraDetection)
    assert t == incidents.DEFAULT.smoke_at
    assert smoke.type == CameraEventType.SMOKE.value
    assert smoke.snapshot is not None
    assert len(smoke.snapshot) <= 48 * 1024
    assert Image.open(io.BytesIO(smoke.snapshot)).format == "JPEG"
    assert not [m for m in _play(_run(DeviceType.CAMERA_SECURITY, 1), 120, step=5) if m[1].endswith("/event")]


def test_incident_camera_falls_silent_at_its_time() -> None:
    run = _run(DeviceType.CAMERA_TRAFFIC, 0)
    played = _play(run, 120)
    assert run.offline
    assert max(t for t, _, _ in played) < incidents.DEFAULT.camera_offline_at
    healthy = _run(DeviceType.CAMERA_TRAFFIC, 1)
    assert max(t for t, _, _ in _play(healthy, 120)) == 120
    assert not healthy.offline


def test_no_incident_when_switched_off() -> None:
    run = DeviceRun(
        SimDevice(str(uuid.uuid4()), DeviceType.AIR_QUALITY, 0), START, 0, seeded(2), incidents_on=False
    )
    readings = [_decoded(t, b, START + timedelta(hours=1)) for _, t, b in _play(run, 90, step=5)]
    assert all(isinstance(r, Telemetry) and r.metrics["pm25"] < 150 for r in readings)


async def test_spots_lie_inside_their_wards_spread_over_all(units: AsyncSession) -> None:
    spots = await repository.spots(units, 40, seed=11)
    assert len(spots) == 40
    assert spots == await repository.spots(units, 40, seed=11)
    wards = {
        row.code
        for row in (await units.execute(text("SELECT code FROM admin_units WHERE level = 'ward'"))).all()
    }
    assert {spot.ward_code for spot in spots} == wards
    assert len({spot.ward_code for spot in spots[: len(wards)]}) == len(wards)
    for spot in spots:
        inside = (
            await units.execute(
                text(
                    "SELECT ST_Contains(boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) AND "
                    "parent_code = :p "
                    "FROM admin_units WHERE code = :code"
                ),
                {"lon": spot.lon, "lat": spot.lat, "code": spot.ward_code, "p": spot.province_code},
            )
        ).scalar_one()
        assert inside, spot


async def test_bulk_inserted_devices_are_found_again_by_mode(units: AsyncSession) -> None:
    spots = await repository.spots(units, 5, seed=1)
    ids = await repository.insert_many(units, DeviceType.NOISE, 10, spots, "gateway")
    found = await repository.simulated(units, "gateway")
    assert {(DeviceType.NOISE.value, 10 + i): ident for i, ident in enumerate(ids)}.items() <= found.items()
    assert await repository.simulated(units, "devices") == {}


@contextmanager
def listening(settings: Settings, topic: str) -> Iterator[None]:
    """A plain subscriber on `topic` for the duration: without one the broker answers 0x10, which the
    publisher (as the contract asks of devices) takes as "send it again later"."""
    subscribed = threading.Event()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"test-listener-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
    )
    client.username_pw_set(settings.mqtt_username, settings.mqtt_password.get_secret_value())
    client.on_connect = lambda c, u, flags, rc, props: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda c, u, mid, codes, props: subscribed.set()
    client.connect(settings.mqtt_host, settings.mqtt_port)
    client.loop_start()
    try:
        assert subscribed.wait(10), "the listener's subscription was not confirmed"
        yield
    finally:
        client.disconnect()
        client.loop_stop()


async def test_publisher_counts_acknowledged_and_refused(
    settings: Settings, broker_admin: BrokerAdmin
) -> None:
    username = f"test-gateway-{uuid.uuid4().hex[:8]}"
    await broker_admin.ensure_gateway(username, "pw-" + uuid.uuid4().hex)
    password = "pw2-" + uuid.uuid4().hex
    await broker_admin.set_password(username, password)
    try:
        device = "00000000-0000-4000-8000-" + uuid.uuid4().hex[:12]
        allowed = [(f"city/v1/devices/{device}/telemetry", b'{"ts":"x","seq":%d}' % i) for i in range(300)]
        # A gateway may publish device topics only: the broker refuses the rest (reason 0x87).
        refused = [("city/v1/elsewhere", b"{}")] * 5
        conn = Connection(settings.mqtt_host, settings.mqtt_port, username, password, username)
        with listening(settings, f"city/v1/devices/{device}/telemetry"):
            stats = publish_all(conn, [*allowed, *refused], record=True, stop_at=time.time() + 60)
        assert (stats.sent, stats.acked, stats.failed) == (305, 300, 5)
        assert stats.reasons[0x87] == 5
        assert stats.sent_at is not None
        assert len(stats.sent_at) == 305
        assert list(stats.sent_at) == sorted(stats.sent_at)
    finally:
        await broker_admin.delete_client(username)
