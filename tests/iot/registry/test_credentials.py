"""Device credentials on the real broker: issued once at registration, in force at once, limited to the
device's own topics, renewed and revoked by admins (the connected device is cut off at once)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from core.http.resources import Resources
from core.identity.principal import Role
from core.settings import Settings
from iot.registry.models import Device
from tests.iot.support import body, count_devices
from tests.support.people import Person, PersonFactory

pytestmark = pytest.mark.usefixtures("units")

DEADLINE_SECONDS = 5.0
NOT_AUTHORIZED = 0x87
NO_MATCHING_SUBSCRIBERS = 0x10
ADMINISTRATIVE_ACTION = 0x98


async def eventually(check: Callable[[], bool], what: str, seconds: float = DEADLINE_SECONDS) -> None:
    """Poll `check` until it holds; fail with `what` at the deadline."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:g} s: {what}")
        await asyncio.sleep(0.02)


class MqttPeer:
    """One MQTT 5 connection with everything the broker told it, recorded from paho's thread."""

    def __init__(
        self, settings: Settings, username: str, password: str, client_id: str | None = None
    ) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.connacks: list[ReasonCode] = []
        self.disconnects: list[ReasonCode] = []
        self.pubacks: dict[int, ReasonCode] = {}
        self.subacks: dict[int, list[ReasonCode]] = {}
        self.messages: list[tuple[str, bytes]] = []
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or username, protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        with self.lock:
            self.connacks.append(reason)
        if reason.is_failure:
            # One answer is all a test needs; no automatic retries against a refusing broker.
            self.client.disconnect()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        with self.lock:
            self.disconnects.append(reason)

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        with self.lock:
            self.pubacks[mid] = reason

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, reasons: list[ReasonCode], _p: Any) -> None:
        with self.lock:
            self.subacks[mid] = list(reasons)

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload)))

    async def connect(self) -> ReasonCode:
        """Connect and return the CONNACK's reason code."""
        self.client.connect(self.settings.mqtt_host, self.settings.mqtt_port, keepalive=30, clean_start=True)
        self.client.loop_start()
        await eventually(lambda: bool(self.connacks), "a CONNACK")
        return self.connacks[0]

    async def publish(self, topic: str, payload: str = '{"ts":"2026-11-22T08:30:00Z","seq":1}') -> ReasonCode:
        """Publish at QoS 1 and return the PUBACK's reason code (paho's publish result says nothing of it)."""
        info = self.client.publish(topic, payload, qos=1)
        await eventually(lambda: info.mid in self.pubacks, f"a PUBACK for {topic}")
        return self.pubacks[info.mid]

    async def subscribe(self, *topics: str) -> dict[str, int]:
        """Subscribe at QoS 1, one topic at a time; return each topic's SUBACK reason code."""
        granted: dict[str, int] = {}
        for topic in topics:
            _, mid = self.client.subscribe(topic, qos=1)
            assert mid is not None, f"{topic} was not sent"
            await eventually(partial(self.subacks.__contains__, mid), f"a SUBACK for {topic}")
            granted[topic] = self.subacks[mid][0].value
        return granted

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def peers(settings: Settings) -> Iterator[Callable[..., MqttPeer]]:
    """`peers(username, password, client_id=None)`: MQTT connections closed at teardown."""
    made: list[MqttPeer] = []

    def factory(username: str, password: str, client_id: str | None = None) -> MqttPeer:
        peer = MqttPeer(settings, username, password, client_id)
        made.append(peer)
        return peer

    yield factory
    for peer in made:
        peer.close()


async def register(client: AsyncClient, admin: Person) -> dict[str, Any]:
    response = await client.post("/api/v1/devices", json=body(), headers=admin.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_registration_answers_credentials_that_work_at_once(
    client: AsyncClient, person: PersonFactory, settings: Settings, peers: Callable[..., MqttPeer]
) -> None:
    admin = await person(Role.ADMIN)
    device = await register(client, admin)
    device_id = device["id"]
    assert device_id == str(uuid.UUID(device_id)), "the id is in canonical lowercase form"
    mqtt_block = device["mqtt"]
    root = f"city/v1/devices/{device_id}"
    assert mqtt_block["host"] == settings.mqtt_device_host
    assert mqtt_block["port"] == settings.mqtt_device_port
    assert mqtt_block["username"] == mqtt_block["client_id"] == device_id
    assert mqtt_block["topics"] == {
        "telemetry": f"{root}/telemetry",
        "event": f"{root}/event",
        "status": f"{root}/status",
    }
    assert len(mqtt_block["password"]) >= 32
    # Shown once: reading the device never answers it again.
    read = await client.get(f"/api/v1/devices/{device_id}", headers=admin.headers)
    assert "mqtt" not in read.json()
    assert mqtt_block["password"] not in read.text

    peer = peers(device_id, mqtt_block["password"])
    assert (await peer.connect()).value == 0
    for topic in mqtt_block["topics"].values():
        puback = await peer.publish(topic)
        assert puback.value in (0, NO_MATCHING_SUBSCRIBERS), f"{topic}: {puback}"


async def test_a_device_publishes_only_under_its_own_id(
    client: AsyncClient, person: PersonFactory, peers: Callable[..., MqttPeer], settings: Settings
) -> None:
    admin = await person(Role.ADMIN)
    first, second = await register(client, admin), await register(client, admin)
    watcher = peers(
        settings.mqtt_username,
        settings.mqtt_password.get_secret_value(),
        f"test-watch-{uuid.uuid4().hex[:8]}",
    )
    await watcher.connect()
    await watcher.subscribe(f"city/v1/devices/{second['id']}/#")

    peer = peers(first["id"], first["mqtt"]["password"])
    await peer.connect()
    for kind in ("telemetry", "event", "status"):
        refused = await peer.publish(second["mqtt"]["topics"][kind], '{"forged": true}')
        assert refused.value == NOT_AUTHORIZED, f"{kind}: {refused}"
    # A device's own message reaches the watcher, so the forged ones would have too.
    own = peers(second["id"], second["mqtt"]["password"])
    await own.connect()
    assert (await own.publish(second["mqtt"]["topics"]["telemetry"], '{"genuine": true}')).value == 0
    await eventually(lambda: bool(watcher.messages), "the genuine message at the watcher")
    assert [payload for _, payload in watcher.messages] == [b'{"genuine": true}']


async def test_a_device_cannot_read_another_devices_messages(
    client: AsyncClient, person: PersonFactory, peers: Callable[..., MqttPeer], settings: Settings
) -> None:
    admin = await person(Role.ADMIN)
    first, second = await register(client, admin), await register(client, admin)
    snooper = peers(first["id"], first["mqtt"]["password"])
    await snooper.connect()
    # Refused in the SUBACK (below); should one be granted, the absence of messages is what counts.
    await snooper.subscribe(f"city/v1/devices/{second['id']}/#", "city/v1/devices/#", "#")
    watcher = peers(
        settings.mqtt_username,
        settings.mqtt_password.get_secret_value(),
        f"test-watch-{uuid.uuid4().hex[:8]}",
    )
    await watcher.connect()
    await watcher.subscribe(f"city/v1/devices/{second['id']}/#")

    sender = peers(second["id"], second["mqtt"]["password"])
    await sender.connect()
    await sender.publish(second["mqtt"]["topics"]["telemetry"])
    # A command for the second device (the service account may send one) must not reach the first either.
    assert (await watcher.publish(f"city/v1/devices/{second['id']}/command/reboot", "{}")).value == 0
    await eventually(lambda: len(watcher.messages) >= 2, "the telemetry and command at the service account")
    # Delivery to every subscriber of one message happens together; allow a little for the network anyway.
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        assert snooper.messages == [], "a device received another device's messages"
        await asyncio.sleep(0.02)


async def test_a_device_may_subscribe_to_nothing(
    client: AsyncClient, person: PersonFactory, peers: Callable[..., MqttPeer]
) -> None:
    """A subscription the broker granted would make the device a member of whatever it matched: in the
    ingest group's shared subscription, the broker hands it a share of the fleet's messages and then drops
    them at its read check. So every subscription of a device is refused in the SUBACK."""
    admin = await person(Role.ADMIN)
    first, second = await register(client, admin), await register(client, admin)
    peer = peers(first["id"], first["mqtt"]["password"])
    assert (await peer.connect()).value == 0
    granted = await peer.subscribe(
        "$share/ingest/city/v1/devices/+/telemetry",
        "$share/ingest/city/v1/devices/+/event",
        "$share/ingest/city/v1/devices/+/status",
        f"$share/x/city/v1/devices/{first['id']}/telemetry",
        "#",
        "+/#",
        "$SYS/#",
        "city/v1/devices/+/telemetry",
        f"city/v1/devices/{second['id']}/#",
        f"city/v1/devices/{second['id']}/telemetry",
        f"city/v1/devices/{first['id']}/#",
        f"city/v1/devices/{first['id']}/command/reboot",
    )
    assert granted == dict.fromkeys(granted, NOT_AUTHORIZED)
    # Refused subscriptions cost the device nothing else: it stays connected and publishes as before.
    assert peer.disconnects == []
    assert (await peer.publish(first["mqtt"]["topics"]["telemetry"])).value in (0, NO_MATCHING_SUBSCRIBERS)


async def test_wrong_password_or_another_client_id_is_refused(
    client: AsyncClient, person: PersonFactory, peers: Callable[..., MqttPeer]
) -> None:
    admin = await person(Role.ADMIN)
    first, second = await register(client, admin), await register(client, admin)
    assert (await peers(first["id"], "wrong-" + first["mqtt"]["password"]).connect()).is_failure
    assert (await peers(first["id"], second["mqtt"]["password"]).connect()).is_failure
    # The right credentials with the other device's client id: it could take over that device's session.
    taken = await peers(first["id"], first["mqtt"]["password"], client_id=second["id"]).connect()
    assert taken.value == NOT_AUTHORIZED


async def test_decommission_disconnects_the_device_and_refuses_it(
    client: AsyncClient, person: PersonFactory, peers: Callable[..., MqttPeer]
) -> None:
    admin = await person(Role.ADMIN)
    device = await register(client, admin)
    peer = peers(device["id"], device["mqtt"]["password"])
    assert (await peer.connect()).value == 0

    response = await client.post(f"/api/v1/devices/{device['id']}/decommission", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "decommissioned"
    await eventually(lambda: bool(peer.disconnects), "the device's disconnection")
    assert peer.disconnects[0].value == ADMINISTRATIVE_ACTION
    assert str(peer.disconnects[0]) == "Administrative action"
    peer.close()
    assert (await peers(device["id"], device["mqtt"]["password"]).connect()).is_failure

    renewed = await client.post(f"/api/v1/devices/{device['id']}/credentials", headers=admin.headers)
    assert renewed.status_code == 409
    assert renewed.json()["code"] == "device_decommissioned"
    assert (await peers(device["id"], device["mqtt"]["password"]).connect()).is_failure


async def test_renewed_credentials_replace_the_old_ones_at_once(
    client: AsyncClient, person: PersonFactory, peers: Callable[..., MqttPeer]
) -> None:
    admin = await person(Role.ADMIN)
    device = await register(client, admin)
    old = peers(device["id"], device["mqtt"]["password"])
    assert (await old.connect()).value == 0

    response = await client.post(f"/api/v1/devices/{device['id']}/credentials", headers=admin.headers)
    assert response.status_code == 200, response.text
    renewed = response.json()["mqtt"]
    assert renewed["password"] != device["mqtt"]["password"]
    assert {key: value for key, value in renewed.items() if key != "password"} == {
        key: value for key, value in device["mqtt"].items() if key != "password"
    }
    # The connection made with the old password is closed, and the old password no longer opens one.
    await eventually(lambda: bool(old.disconnects), "the old connection's end")
    old.close()
    assert (await peers(device["id"], device["mqtt"]["password"]).connect()).is_failure
    fresh = peers(device["id"], renewed["password"])
    assert (await fresh.connect()).value == 0
    assert (await fresh.publish(renewed["topics"]["telemetry"])).value in (0, NO_MATCHING_SUBSCRIBERS)


async def test_only_admins_renew_credentials_of_known_devices(
    client: AsyncClient, person: PersonFactory, peers: Callable[..., MqttPeer]
) -> None:
    admin, officer = await person(Role.ADMIN), await person(Role.OFFICER, "13666")
    device = await register(client, admin)
    refused = await client.post(f"/api/v1/devices/{device['id']}/credentials", headers=officer.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    missing = await client.post(f"/api/v1/devices/{uuid.uuid4()}/credentials", headers=admin.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "device_not_found"
    # The officer's attempt changed nothing: the first password still works.
    assert (await peers(device["id"], device["mqtt"]["password"]).connect()).value == 0


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def brokerless_client(settings: Settings, resources: Resources) -> AsyncIterator[AsyncClient]:
    """A client on an app whose broker address is a closed port, sharing the test's transaction."""
    app: FastAPI = create_app(settings.model_copy(update={"mqtt_port": closed_port()}))
    app.state.resources = resources
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await app.state.broker_admin.close()


async def test_broker_down_stores_nothing(
    client: AsyncClient,
    brokerless_client: AsyncClient,
    person: PersonFactory,
    session: AsyncSession,
    peers: Callable[..., MqttPeer],
) -> None:
    admin = await person(Role.ADMIN)
    before = await count_devices(session)
    response = await brokerless_client.post("/api/v1/devices", json=body(), headers=admin.headers)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "broker_unavailable"
    assert await count_devices(session) == before

    # Decommissioning while the broker is away is refused too: the device stays active and connected.
    device = await register(client, admin)
    peer = peers(device["id"], device["mqtt"]["password"])
    assert (await peer.connect()).value == 0
    gone = await brokerless_client.post(f"/api/v1/devices/{device['id']}/decommission", headers=admin.headers)
    assert gone.status_code == 503
    assert gone.json()["code"] == "broker_unavailable"
    stored = await session.get(Device, uuid.UUID(device["id"]), populate_existing=True)
    assert stored is not None
    assert stored.status == "active"
    assert stored.decommissioned_at is None
    renewed = await brokerless_client.post(
        f"/api/v1/devices/{device['id']}/credentials", headers=admin.headers
    )
    assert renewed.status_code == 503
    assert peer.disconnects == []
    assert (await peer.publish(device["mqtt"]["topics"]["telemetry"])).value in (0, NO_MATCHING_SUBSCRIBERS)
