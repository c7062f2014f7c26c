"""The load of bench/ioc_map.py, in processes of its own (as bench/dossier_load.py, whose machinery it uses).

Modes:
  http  GET the spec's paths (tiles, GeoJSON) with the spec's bearer token, picked at random, on keep-alive
        connections spread over the API processes; 200 and 204 (an empty tile) are answers, anything else
        an error;
  bare  the very statements the API runs for the same requests (ioc_map_parts.bare_query), with the same
        unit scope, through asyncpg alone on as many connections.
The process connects and warms up, prints "ready", waits for a line on stdin, runs for the spec's seconds,
and writes what it measured to --out as JSON.

Run by bench/ioc_map.py: python bench/ioc_map_load.py --spec PATH --out PATH
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from dossier_load import Tally, _connections, _go_and_run, keep_asking, run_spec
from feedback_http import RawConnection
from ioc_map_parts import bare_query, scope_of

ANSWERS = (200, 204)


class MapTally(Tally):
    def answer(self, status: int | str, sent: float, body: bytes = b"") -> None:
        self.latencies_ms.append((time.perf_counter() - sent) * 1000)
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if status not in ANSWERS and len(self.samples) < 5:
            self.samples.append(f"{status} {body[:300].decode(errors='replace')}")


async def http(spec: dict[str, Any], tally: Tally) -> float:
    rng = random.Random(spec["seed"])
    paths = [request["path"] for request in spec["requests"]]
    headers = {"Authorization": f"Bearer {spec['token']}"}
    connections = await _connections(spec)
    for connection in connections:  # warm up: the connection, the token's check, prepared statements
        await connection.get(rng.choice(paths), headers)

    def ask(connection: RawConnection) -> Awaitable[tuple[int, bytes]]:
        return connection.get(rng.choice(paths), headers)

    return await keep_asking(connections, ask, tally, spec["seconds"])


async def bare(spec: dict[str, Any], tally: Tally) -> float:
    rng = random.Random(spec["seed"])
    scope = scope_of(spec)
    statements = [bare_query(request, scope) for request in spec["requests"]]
    connections = [await asyncpg.connect(spec["dsn"]) for _ in range(spec["connections"])]
    for connection in connections:
        sql, params = rng.choice(statements)
        await connection.fetch(sql, *params)

    def worker(connection: asyncpg.Connection) -> Callable[[float], Awaitable[None]]:
        async def run(deadline: float) -> None:
            while time.monotonic() < deadline:
                sql, params = rng.choice(statements)
                sent = time.perf_counter()
                try:
                    await connection.fetch(sql, *params)
                except asyncpg.PostgresError as error:
                    tally.answer(type(error).__name__, sent, str(error).encode())
                    continue
                tally.answer(200, sent)

        return run

    return await _go_and_run([worker(connection) for connection in connections], spec["seconds"], connections)


MODES: dict[str, Callable[[dict[str, Any], Tally], Awaitable[float]]] = {"http": http, "bare": bare}


if __name__ == "__main__":
    run_spec(MODES, MapTally())
