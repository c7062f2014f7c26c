"""The broker's container entry point, run for real on the local Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.broker import BrokerUnavailableError, probe_broker
from core.settings import Settings
from iot.registry.broker_admin import BrokerAdmin
from tests.deploy.files import (
    MOSQUITTO_ACL,
    MOSQUITTO_CONF,
    MOSQUITTO_ENTRYPOINT,
)

# --- The broker's entry point, on the local Mosquitto -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def broker_folder() -> Iterator[Path]:
    # Not tmp_path: started as root, Mosquitto drops to its own user, which must be able to reach the files.
    folder = Path(tempfile.mkdtemp(prefix="smartcity-broker-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def local_broker_config(folder: Path, port: int) -> Path:
    """deploy/mosquitto/mosquitto.conf with its listener and paths moved into `folder` (as services.sh)."""
    (folder / "config").mkdir(mode=0o755)
    shutil.copy(MOSQUITTO_ACL, folder / "config" / "acl")
    moved = {
        "listener": f"{port} 127.0.0.1",
        "password_file": str(folder / "config" / "passwd"),
        "acl_file": str(folder / "config" / "acl"),
        "persistence_location": f"{folder / 'data'}/",
        "plugin_opt_config_file": str(folder / "data" / "dynamic-security.json"),
    }
    lines = []
    for line in MOSQUITTO_CONF.read_text().splitlines():
        keyword = line.split(" ", 1)[0]
        lines.append(f"{keyword} {moved[keyword]}" if keyword in moved else line)
    config = folder / "config" / "mosquitto.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def broker_env(**variables: str) -> dict[str, str]:
    return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", **variables}


async def test_entrypoint_writes_the_password_file_and_starts_the_broker(broker_folder: Path) -> None:
    port = free_port()
    config = local_broker_config(broker_folder, port)
    password = secrets.token_hex(16)
    async with entrypoint_broker(broker_folder, config, port, password):
        with pytest.raises(BrokerUnavailableError, match="refused"):
            await probe_broker("127.0.0.1", port, "smartcity-service", "wrong-password", 2.0)
        passwd = broker_folder / "config" / "passwd"
        assert passwd.stat().st_mode & 0o077 == 0, "the password file must be private to the broker"
        assert password not in passwd.read_text(), "only the hash may be stored"
        if os.geteuid() == 0:
            assert passwd.stat().st_uid == pwd.getpwnam("mosquitto").pw_uid, "the broker's user must own it"


@pytest.mark.parametrize("missing", ["SMARTCITY_MQTT_USERNAME", "SMARTCITY_MQTT_PASSWORD"])
async def test_entrypoint_refuses_to_start_without_credentials(broker_folder: Path, missing: str) -> None:
    config = local_broker_config(broker_folder, free_port())
    env = broker_env(SMARTCITY_MQTT_USERNAME="smartcity-service", SMARTCITY_MQTT_PASSWORD="x" * 32)
    del env[missing]
    process = await asyncio.create_subprocess_exec(
        "/bin/sh",
        str(MOSQUITTO_ENTRYPOINT),
        str(config),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode != 0
    assert missing in stderr.decode()
    assert not (broker_folder / "config" / "passwd").exists()


DYNSEC_SEED = {
    "defaultACLAccess": {
        "publishClientSend": False,
        "publishClientReceive": False,
        "subscribe": False,
        "unsubscribe": True,
    },
    "clients": [],
    "groups": [],
    "roles": [],
}


@contextlib.asynccontextmanager
async def entrypoint_broker(folder: Path, config: Path, port: int, password: str) -> AsyncIterator[None]:
    """The entry point running the broker until the service account gets in; stopped (SIGTERM) on exit."""
    log = (folder / "broker.log").open("ab")
    broker = await asyncio.create_subprocess_exec(
        "/bin/sh",
        str(MOSQUITTO_ENTRYPOINT),
        str(config),
        env=broker_env(SMARTCITY_MQTT_USERNAME="smartcity-service", SMARTCITY_MQTT_PASSWORD=password),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(BrokerUnavailableError):
                await probe_broker("127.0.0.1", port, "smartcity-service", password, 1.0)
                break
            assert broker.returncode is None, (folder / "broker.log").read_text()
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"the broker never let the service in: {(folder / 'broker.log').read_text()}")
        yield
    finally:
        if broker.returncode is None:
            broker.terminate()
            await asyncio.wait_for(broker.wait(), 20)
        log.close()


async def test_entrypoint_seeds_device_identities_once_and_keeps_them(broker_folder: Path) -> None:
    port = free_port()
    config = local_broker_config(broker_folder, port)
    password = secrets.token_hex(16)
    dynsec = broker_folder / "data" / "dynamic-security.json"
    settings = Settings(
        mqtt_host="127.0.0.1",
        mqtt_port=port,
        mqtt_username="smartcity-service",
        mqtt_password=SecretStr(password),
        mqtt_admin_timeout_seconds=5,
    )
    gateway_password = secrets.token_hex(16)
    async with entrypoint_broker(broker_folder, config, port, password):
        # Seeded with every default access denied: devices get only what acl_file's patterns give them.
        assert json.loads(dynsec.read_text()) == DYNSEC_SEED
        if os.geteuid() == 0:
            assert dynsec.stat().st_uid == pwd.getpwnam("mosquitto").pw_uid, "the broker rewrites it"
        # The service account manages identities through the plugin, and they log in at once.
        admin = BrokerAdmin(settings)
        try:
            await admin.ensure_gateway("gateway-a", gateway_password)
        finally:
            await admin.close()
        await probe_broker("127.0.0.1", port, "gateway-a", gateway_password, 2.0)
    # A restart keeps the identities: the file is written only when absent.
    async with entrypoint_broker(broker_folder, config, port, password):
        await probe_broker("127.0.0.1", port, "gateway-a", gateway_password, 2.0)
        with pytest.raises(BrokerUnavailableError, match="refused"):
            await probe_broker("127.0.0.1", port, "gateway-a", "wrong-" + gateway_password, 2.0)
    assert [client["username"] for client in json.loads(dynsec.read_text())["clients"]] == ["gateway-a"]
