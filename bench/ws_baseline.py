"""The baseline of bench/ws.py: the least a Python WebSocket fan-out can do with the same stream.

A bare `websockets` server: a client sends auth (its token is read, not verified) and one subscribe; one task
reads the stream with XREAD and hands each event to the clients of its (topic, unit) with
`websockets.broadcast`, which writes without waiting and skips clients that cannot keep up. No database, no
access rules beyond the unit, no queues, no resume: what remains is the cost the real gateway cannot avoid.

Run by bench/ws.py: python bench/ws_baseline.py --port PORT --stream KEY
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import defaultdict
from typing import Any

import jwt
import uvloop
from redis.asyncio import Redis
from websockets.asyncio.server import ServerConnection, broadcast, serve

from core.settings import get_settings

Groups = defaultdict[tuple[str, str | None], set[ServerConnection]]


async def handler(connection: ServerConnection, groups: Groups) -> None:
    auth = json.loads(await connection.recv())
    claims = jwt.decode(auth["token"], options={"verify_signature": False})
    unit = None if claims["role"] == "admin" else claims["unit"]
    await connection.send(json.dumps({"type": "ready"}))
    topics = json.loads(await connection.recv())["topics"]
    keys = [(topic, unit) for topic in topics]
    for key in keys:
        groups[key].add(connection)
    await connection.send(json.dumps({"type": "subscribed", "topics": topics}))
    try:
        await connection.wait_closed()
    finally:
        for key in keys:
            groups[key].discard(connection)


async def fan_out(redis: Redis, stream: str, groups: Groups) -> None:
    newest: Any = await redis.xrevrange(stream, count=1)
    position = newest[0][0].decode() if newest else "0-0"
    while True:
        reply: Any = await redis.xread({stream: position}, count=500, block=5000)
        for _, entries in reply or ():
            for entry_id, fields in entries:
                position = entry_id.decode()
                raw = fields[b"envelope"].decode()
                envelope = json.loads(raw)
                topic = envelope["type"].split(".", 1)[0]
                message = f'{{"type":"event","cursor":"{position}","event":{raw}}}'
                for unit in (envelope.get("unit_code"), None):
                    listeners = groups.get((topic, unit))
                    if listeners:
                        broadcast(listeners, message)


async def main(port: int, stream: str) -> None:
    groups: Groups = defaultdict(set)
    redis = Redis.from_url(get_settings().redis_dsn, socket_timeout=30)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with serve(lambda connection: handler(connection, groups), "127.0.0.1", port, max_size=4096):
        reader = asyncio.create_task(fan_out(redis, stream, groups))
        await stop.wait()
        reader.cancel()
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stream", required=True)
    options = parser.parse_args()
    # uvloop, as uvicorn uses for the API.
    uvloop.run(main(options.port, options.stream))
