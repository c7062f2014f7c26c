"""The clients of bench/ws.py, run in their own processes, and what the benchmark's parts share.

Client i is an officer of ward (i mod 32) // 4 subscribed to topic (i mod 32) mod 4, except the first --walls
clients, which are admins taking every topic of every unit (an IOC wall). Each records, for every event it
receives, the batch the event was committed in and when it arrived; bench/ws.py joins that with the batches'
commit times.

Run by bench/ws.py: python bench/ws_clients.py --url URL --first N --count M --walls W --out PATH
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
import uuid
from array import array
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import uvloop
from pydantic import SecretStr
from websockets.asyncio.client import connect

from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token
from core.settings import Settings, get_settings

TOPICS = ("feedback", "alerts", "devices", "dossiers")
WARDS = 8
GROUPS = len(TOPICS) * WARDS
SECRET = "bench-ws-signing-key-" + "k" * 32
# The demo wards' codes, in the order the groups use them; set by bench/ws.py.
WARD_CODES_VARIABLE = "BENCH_WARD_CODES"


DATABASE = "smartcity_bench_ws"


def bench_settings(database: str = DATABASE) -> Settings:
    """The benchmark's settings: its own database and signing key (the clients only sign their tokens)."""
    base = get_settings()
    url = urlsplit(base.database_dsn)._replace(path=f"/{database}")
    return base.model_copy(
        update={
            "database_url": SecretStr(urlunsplit(url)),
            "secret_key": SecretStr(SECRET),
        }
    )


def group_of(index: int) -> tuple[str, int]:
    """The (topic, ward index) of group `index mod GROUPS`; events and clients use the same mapping."""
    group = index % GROUPS
    return TOPICS[group % len(TOPICS)], group // len(TOPICS)


async def run_clients(url: str, first: int, count: int, walls: int, out: Path, compression: bool) -> None:
    settings = bench_settings()
    ward_codes: list[str] = json.loads(os.environ[WARD_CODES_VARIABLE])
    received = [0] * count
    unique: list[set[int]] = [set() for _ in range(count)]
    batches: array[int] = array("q")
    times: array[float] = array("d")

    async def open_one(offset: int) -> Any:
        index = first + offset
        wall = index < walls
        principal = Principal(
            user_id=uuid.uuid4(),
            role=Role.ADMIN if wall else Role.OFFICER,
            unit_code=None if wall else ward_codes[group_of(index)[1]],
        )
        token, _ = issue_access_token(settings, principal)
        ws = await connect(
            url, compression="deflate" if compression else None, open_timeout=60, max_size=2**20
        )
        await ws.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(await ws.recv())["type"] == "ready"
        topics = list(TOPICS) if wall else [group_of(index)[0]]
        await ws.send(json.dumps({"type": "subscribe", "topics": topics}))
        assert json.loads(await ws.recv())["type"] == "subscribed"
        return ws

    async def listen(offset: int, ws: Any) -> None:
        seen = unique[offset]
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            if message["type"] == "event":
                data = message["event"]["data"]
                received[offset] += 1
                seen.add(data["s"])
                batches.append(data["b"])
                times.append(now)

    connections: list[Any] = []
    for start in range(0, count, 50):
        connections += await asyncio.gather(*(open_one(k) for k in range(start, min(count, start + 50))))
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    listeners = [asyncio.create_task(listen(k, ws)) for k, ws in enumerate(connections)]
    await stop.wait()
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    summary = {"first": first, "received": received, "unique": [len(seen) for seen in unique]}
    out.with_suffix(".json").write_text(json.dumps(summary))
    with out.with_suffix(".batches").open("wb") as handle:
        batches.tofile(handle)
    with out.with_suffix(".times").open("wb") as handle:
        times.tofile(handle)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--first", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--walls", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-compression", dest="compression", action="store_false")
    options = parser.parse_args()
    # uvloop, like the API under uvicorn: the clients share the machine and must cost it little.
    uvloop.run(
        run_clients(
            options.url, options.first, options.count, options.walls, options.out, options.compression
        )
    )
