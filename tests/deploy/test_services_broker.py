"""scripts/services.sh running a private broker: its own state folder and port, the project's
configuration."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.broker import BrokerUnavailableError, probe_broker
from core.settings import PROJECT_ROOT, Settings
from tests.deploy.test_mosquitto_entrypoint import DYNSEC_SEED, free_port

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
