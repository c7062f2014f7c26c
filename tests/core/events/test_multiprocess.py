"""Several API processes: an announcement posted through one reaches a WebSocket client connected to another,
through the outbox, the relay worker and the Redis Stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from core.identity.principal import Role
from core.settings import PROJECT_ROOT, Settings
from mobile_contract.events import EventMessage
from tests.support.events import WARD_A, Client, eventually, free_port, token

Start = Callable[[list[str], dict[str, str]], subprocess.Popen[bytes]]


@pytest.fixture
def processes() -> Iterator[Start]:
    started: list[subprocess.Popen[bytes]] = []

    def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def _environment(settings: Settings) -> dict[str, str]:
    return {
        "SMARTCITY_DATABASE_URL": settings.database_dsn,
        "SMARTCITY_REDIS_URL": settings.redis_dsn,
        "SMARTCITY_EVENTS_STREAM": settings.events_stream,
        "SMARTCITY_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SMARTCITY_LOG_LEVEL": "WARNING",
        "SMARTCITY_RELAY_POLL_SECONDS": "0.5",
    }


async def test_an_event_written_through_one_process_reaches_a_client_of_another(
    events_settings: Settings, units: None, processes: Start
) -> None:
    environment = _environment(events_settings)
    bin_dir = Path(sys.executable).parent
    ports = [free_port(), free_port()]
    for port in ports:
        command = [str(bin_dir / "smartcity"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        processes(command, environment)
    processes([sys.executable, "-m", "core.events.relay"], environment)

    async with httpx.AsyncClient(timeout=5) as http:

        async def both_up() -> bool:
            for port in ports:
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/health")).status_code != 200:
                        return False
                except httpx.TransportError:
                    return False
            return True

        await eventually(both_up, "both API processes to answer", seconds=60)
        officer = token(events_settings, Role.OFFICER, WARD_A)
        listener = await Client.signed_in(f"ws://127.0.0.1:{ports[1]}/ws", officer)
        await listener.subscribe(["announcements"])
        response = await http.post(
            f"http://127.0.0.1:{ports[0]}/api/v1/announcements",
            json={
                "unit_code": WARD_A,
                "title_vi": "Tạm ngừng cấp nước",
                "title_en": "Water cut",
                "body": "Từ 8h đến 11h ngày mai.",
            },
            headers={"Authorization": f"Bearer {officer}"},
        )
    assert response.status_code == 201, response.text
    published = response.json()
    [message] = await listener.events(1, seconds=30)
    event = EventMessage.model_validate(message).event
    assert event.type == "announcements.published"
    assert str(event.id) == published["event_id"]
    assert event.subject_id == published["id"]
    assert event.unit_code == WARD_A
    assert event.data["title_en"] == "Water cut"
    await listener.close()
