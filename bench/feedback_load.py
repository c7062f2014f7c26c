"""Submissions through the real HTTP API for the feedback benchmark: citizens with tokens, the API server in
a subprocess, and an async client keeping a fixed number of requests in flight."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from feedback_http import RawConnection
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import User
from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token
from core.settings import PROJECT_ROOT, Settings

# Categories without required questions, so every request is valid as it is.
CATEGORIES = ("traffic", "public_order", "other")
PATH = "/api/v1/feedback"


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    # The first few error answers, to show what went wrong.
    samples: list[str] = field(default_factory=list)
    server_cpu_seconds: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(201, 0) + self.statuses.get(200, 0)

    @property
    def failed(self) -> int:
        refused = sum(count for status, count in self.statuses.items() if status not in (200, 201))
        return refused + self.transport_errors


async def citizens(session: AsyncSession, settings: Settings, count: int) -> list[str]:
    """`count` citizen accounts written straight into the database, and an access token for each."""
    tokens: list[str] = []
    # Random numbers, so that a kept database (--reuse) can be loaded again without clashing phones.
    phones = random.SystemRandom().sample(range(10**8, 10**9), count)
    for index, number in enumerate(phones):
        user = User(
            id=uuid.uuid4(), role=Role.CITIZEN, phone=f"+84{number}", display_name=f"Người thử {index}"
        )
        session.add(user)
        token, _ = issue_access_token(settings, Principal(user_id=user.id, role=Role.CITIZEN))
        tokens.append(token)
    await session.commit()
    return tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(settings: Settings, port: int, media_root: Path, redis_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SMARTCITY_DATABASE_URL": settings.database_dsn,
        "SMARTCITY_REDIS_URL": redis_url,
        "SMARTCITY_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SMARTCITY_LOG_LEVEL": "WARNING",
        "SMARTCITY_MEDIA_ROOT": str(media_root),
        "SMARTCITY_EVENTS_STREAM": f"bench-feedback-{os.getpid()}",
        # The per-citizen hourly limit would otherwise refuse most of a sustained load from a few hundred.
        "SMARTCITY_FEEDBACK_SUBMISSIONS_PER_HOUR": "1000000",
    }
    smartcity = str(Path(sys.executable).parent / "smartcity")
    command = [smartcity, "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)


async def wait_ready(base_url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base_url) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the API did not start at {base_url}")


def cpu_seconds(pid: int) -> float:
    """CPU time of the process and of its children (uvicorn's workers), in seconds."""
    total = 0.0
    for each in (pid, *_children(pid)):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            found += [int(child) for child in children.read_text().split()]
    return found


def body(rng: random.Random, bounds: tuple[float, float, float, float]) -> dict[str, object]:
    min_lon, min_lat, max_lon, max_lat = bounds
    return {
        "category_code": rng.choice(CATEGORIES),
        "description": "Xe đỗ chắn lối đi trước cổng trường",
        "location": {"lat": rng.uniform(min_lat, max_lat), "lon": rng.uniform(min_lon, max_lon)},
        "address": "Trần Hưng Đạo",
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def submit_load(
    base_urls: list[str],
    tokens: list[str],
    *,
    seconds: float,
    concurrency: int,
    server_pids: list[int],
    bounds: tuple[float, float, float, float],
) -> LoadResult:
    """Keep `concurrency` POST /api/v1/feedback in flight for `seconds`, each from a random citizen, on as
    many keep-alive connections spread evenly over the servers."""
    result = LoadResult()
    rng = random.Random(7)
    addresses = [urlsplit(base_url) for base_url in base_urls]
    connections = [
        await RawConnection.open(address.hostname or "127.0.0.1", address.port or 80)
        for index in range(concurrency)
        for address in [addresses[index % len(addresses)]]
    ]
    try:
        # Warm up: connections, prepared statements, the category cache.
        await asyncio.gather(
            *(
                connection.post_json(PATH, body(rng, bounds), bearer(tokens[i % len(tokens)]))
                for i, connection in enumerate(connections)
            )
        )
        cpu_before = sum(cpu_seconds(pid) for pid in server_pids)
        started = time.monotonic()
        deadline = started + seconds

        async def worker(connection: RawConnection) -> None:
            while time.monotonic() < deadline:
                headers = bearer(rng.choice(tokens))
                sent = time.perf_counter()
                try:
                    status, answer = await connection.post_json(PATH, body(rng, bounds), headers)
                except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                    result.transport_errors += 1
                    if len(result.samples) < 5:
                        result.samples.append(repr(error))
                    return
                result.latencies_ms.append((time.perf_counter() - sent) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status >= 300 and len(result.samples) < 5:
                    result.samples.append(f"{status} {answer[:300].decode(errors='replace')}")

        await asyncio.gather(*(worker(connection) for connection in connections))
        result.seconds = time.monotonic() - started
        result.server_cpu_seconds = sum(cpu_seconds(pid) for pid in server_pids) - cpu_before
    finally:
        for connection in connections:
            await connection.close()
    return result
