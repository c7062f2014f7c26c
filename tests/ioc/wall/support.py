"""Helpers of the wall's browser tests: the processes of a live stack, Chromium as Debian ships it, and the
people and devices the wall shows, all in the consumers' live database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, ViewportSize, expect

from core.identity.passwords import hash_password
from core.settings import PROJECT_ROOT

SMARTCITY = Path(sys.executable).parent / "smartcity"
# The Debian package scripts/bootstrap.sh installs; nothing here ever downloads a browser.
CHROMIUM = "/usr/bin/chromium"
# Software WebGL 2 for MapLibre with no GPU, a quiet browser that calls nowhere (docs: DOMAIN.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WALL_SIZE: ViewportSize = {"width": 1920, "height": 1080}
OFFICER_PASSWORD = "wall-officer-password"


@dataclass(frozen=True, slots=True)
class Stack:
    base: str
    env: Mapping[str, str]
    logs: Path

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for log in sorted(self.logs.glob("*.log")):
            parts.append(
                f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            )
        return "\n".join(parts)


@contextmanager
def background(
    name: str, args: list[str], env: Mapping[str, str], logs: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`smartcity <args>` as a process of its own, stopped by SIGTERM at the end (killed if it lingers)."""
    with (logs / f"{name}.log").open("wb") as output:
        process = subprocess.Popen(
            [str(SMARTCITY), *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_serving(url: str, process: subprocess.Popen[bytes], within: float = 30) -> None:
    deadline = time.monotonic() + within
    while True:
        assert process.poll() is None, f"{url}: the process exited"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer within {within} s"
        time.sleep(0.1)  # polling interval, bounded by the deadline above


async def add_officer(connection: Any, unit_code: str = "37") -> str:
    """A committed officer who signs in with a password; returns the username."""
    username = f"wall-{uuid.uuid4().hex[:8]}"
    await connection.execute(
        "INSERT INTO users (id, role, display_name, username, language, is_active, unit_code, password_hash) "
        "VALUES ($1, 'officer', 'Cán bộ trực', $2, 'vi', true, $3, $4)",
        uuid.uuid4(),
        username,
        unit_code,
        await hash_password(OFFICER_PASSWORD),
    )
    return username


async def sign_in(page: Page, stack: Stack, username: str) -> None:
    await page.goto(f"{stack.base}/ioc")
    await page.fill("#username", username)
    await page.fill("#password", OFFICER_PASSWORD)
    await page.click("#signin")
    await expect(page.locator("#live-state")).to_have_attribute("data-state", "live", timeout=15_000)


async def wall_counter(page: Page, name: str) -> Any:
    return await page.evaluate(f"() => window.__wall[{name!r}]")
