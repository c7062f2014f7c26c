"""scripts/services.sh running a private broker: its own state folder and port, the project's
configuration."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.broker import BrokerUnavailableError, probe_broker
from core.settings import PROJECT_ROOT, Settings
from iot.registry.broker_admin import GATEWAY_ROLE, GATEWAY_TOPICS, BrokerAdmin
from tests.deploy.test_mosquitto_entrypoint import DYNSEC_SEED, free_port
from tests.iot.ingest.no_loss_support import Intruder

SERVICES = PROJECT_ROOT / "scripts" / "services.sh"
# The account services.sh writes into the broker's password file (from the same settings).
SERVICE_ACCOUNT = (Settings().mqtt_username, Settings().mqtt_password.get_secret_value())


@pytest.fixture
def state_dir() -> Iterator[Path]:
    # Not tmp_path: started as root, the broker drops to its own user, which must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="smartcity-state-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def services(command: str, state: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMARTCITY_STATE_DIR": str(state), "SMARTCITY_MQTT_PORT": str(port)}
    return subprocess.run(
        ["bash", str(SERVICES), command], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_a_private_broker_starts_and_stops_in_its_own_state_folder(state_dir: Path) -> None:
    port = free_port()
    started = services("mosquitto-start", state_dir, port)
    try:
        assert started.returncode == 0, started.stderr
        assert services("mosquitto-status", state_dir, port).stdout.strip() == "mosquitto: up"
        mq = state_dir / "mosquitto"
        assert (mq / "mosquitto.pid").exists()
        assert (state_dir / "logs" / "mosquitto.log").exists()
        assert json.loads((mq / "data" / "dynamic-security.json").read_text()) == DYNSEC_SEED
        config = (mq / "mosquitto.conf").read_text()
        assert f"listener {port} 127.0.0.1" in config
        assert f"plugin_opt_config_file {mq / 'data' / 'dynamic-security.json'}" in config
        await probe_broker("127.0.0.1", port, *SERVICE_ACCOUNT, 2.0)
    finally:
        stopped = services("mosquitto-stop", state_dir, port)
    assert stopped.returncode == 0, stopped.stderr
    status = services("mosquitto-status", state_dir, port)
    assert (status.returncode, status.stdout.strip()) == (3, "mosquitto: down")
    with pytest.raises(BrokerUnavailableError):
        await probe_broker("127.0.0.1", port, *SERVICE_ACCOUNT, 1.0)


NOT_AUTHORIZED = 0x87
GRANTED_QOS_1 = 1
NO_MATCHING_SUBSCRIBERS = 0x10


async def test_identities_of_an_older_broker_file_lose_their_subscriptions(state_dir: Path) -> None:
    """A broker file from before roles denied subscriptions (a device client with no role, a gateway role
    that only publishes) is brought up to date by the next process's first admin command, and nothing else
    changes: the device and the gateway still log in and publish, the service account still subscribes."""
    port = free_port()
    assert services("mosquitto-start", state_dir, port).returncode == 0
    settings = Settings().model_copy(update={"mqtt_host": "127.0.0.1", "mqtt_port": port})
    device, device_password = str(uuid.uuid4()), secrets.token_urlsafe(24)
    gateway_password = secrets.token_urlsafe(24)
    try:
        old = BrokerAdmin(settings)
        try:
            # What the earlier code wrote, command for command (`_send` skips the upgrade).
            old_acls = [
                {"acltype": "publishClientSend", "topic": topic, "priority": 0, "allow": True}
                for topic in GATEWAY_TOPICS
            ]
            await old._send({"command": "createRole", "rolename": GATEWAY_ROLE, "acls": old_acls})
            for username, password, roles in (
                (device, device_password, []),
                ("gateway-old", gateway_password, [{"rolename": GATEWAY_ROLE}]),
            ):
                await old._send(
                    {"command": "createClient", "username": username, "password": password, "roles": roles}
                )
        finally:
            await old.close()
        before = Intruder(port, device, device_password)
        try:
            assert await before.subscribe("#") == {"#": GRANTED_QOS_1}, "the older file grants them"
        finally:
            before.close()

        admin = BrokerAdmin(settings)
        try:
            await admin.delete_client(f"absent-{uuid.uuid4()}")  # any first command
        finally:
            await admin.close()
        topics = ("$share/ingest/city/v1/devices/+/telemetry", "#", f"city/v1/devices/{uuid.uuid4()}/#")
        for username, password, client_id in (
            (device, device_password, device),
            ("gateway-old", gateway_password, "gateway-old-1"),
        ):
            peer = Intruder(port, username, password, client_id)
            try:
                assert await peer.subscribe(*topics) == dict.fromkeys(topics, NOT_AUTHORIZED), username
                reading = await peer.publish(f"city/v1/devices/{device}/telemetry", b"{}")
                assert reading in (0, NO_MATCHING_SUBSCRIBERS), username
            finally:
                peer.close()
        service = Intruder(port, settings.mqtt_username, settings.mqtt_password.get_secret_value(), "svc-1")
        try:
            group = tuple(
                f"$share/ingest/city/v1/devices/+/{kind}" for kind in ("telemetry", "event", "status")
            )
            assert await service.subscribe(*group) == dict.fromkeys(group, GRANTED_QOS_1)
        finally:
            service.close()
    finally:
        services("mosquitto-stop", state_dir, port)
