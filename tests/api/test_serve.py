"""The real server process: `smartcity serve` starts, becomes ready on the real services, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL built here
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_becomes_ready_and_stops_on_sigterm(migrated: Settings) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": migrated.database_dsn,
        "SMARTCITY_REDIS_URL": migrated.redis_dsn,
        "SMARTCITY_API_PORT": str(port),
        "SMARTCITY_LOG_LEVEL": "INFO",
    }
    smartcity = Path(sys.executable).parent / "smartcity"
    process = subprocess.Popen(
        [str(smartcity), "serve"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        status, body = 0, dict[str, object]()
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/ready")
            except OSError:
                status = 0
            if status == 200 or process.poll() is not None:
                break
            time.sleep(0.1)  # polling interval, bounded by the deadline above
        assert status == 200, body
        assert body["status"] == "ready"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    # Uvicorn shuts down gracefully, then re-raises the signal so supervisors see why it stopped.
    assert process.returncode in (0, -signal.SIGTERM)
    assert b"Application shutdown complete" in output
    # Logs are JSON lines, and the request we made carries a request id.
    lines = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
    assert any(line.get("route") == "/ready" and "request_id" in line for line in lines)
