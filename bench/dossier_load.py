"""The load of bench/dossier_tracking.py, run in processes of its own so that generating it does not share an
event loop (nor a core's worth of Python) with the benchmark's bookkeeping.

Modes:
  lookup  POST /api/v1/dossiers/lookup with an existing code and its right factor, on keep-alive connections
          spread over the API processes (the raw client of feedback_http.py);
  sql     the lookup's own query (dossiers.citizen.repository) through asyncpg alone, on as many connections;
  sync    POST /api/v1/dossiers/sync: each connection sends its own batches in order, one after the other,
          so that a dossier's successive steps arrive in their order.
The process connects and warms up, prints "ready", waits for a line on stdin, runs for the spec's seconds (or
until its work is done), and writes what it measured to --out as JSON.

Run by bench/dossier_tracking.py: python bench/dossier_load.py --spec PATH --out PATH
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import uvloop
from feedback_http import RawConnection

LOOKUP_PATH = "/api/v1/dossiers/lookup"
SYNC_PATH = "/api/v1/dossiers/sync"
OFFICES = ("Phòng chuyên môn", "Lãnh đạo đơn vị", "Bộ phận Một cửa")
OFFICERS = ("Trần Thu Hà", "Lê Minh Đức", "Phạm Ngọc Anh")


class Tally:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.statuses: dict[str, int] = {}
        self.transport_errors = 0
        self.samples: list[str] = []
        self.outcomes: dict[str, int] = {}
        self.items = 0
        self.exhausted = 0

    def answer(self, status: int | str, sent: float, body: bytes = b"") -> None:
        self.latencies_ms.append((time.perf_counter() - sent) * 1000)
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if status != 200 and len(self.samples) < 5:
            self.samples.append(f"{status} {body[:300].decode(errors='replace')}")

    def failed(self, error: BaseException) -> None:
        self.transport_errors += 1
        if len(self.samples) < 5:
            self.samples.append(repr(error))

    def as_json(self, seconds: float) -> dict[str, Any]:
        return {
            "seconds": seconds,
            "latencies_ms": self.latencies_ms,
            "statuses": self.statuses,
            "transport_errors": self.transport_errors,
            "samples": self.samples,
            "outcomes": self.outcomes,
            "items": self.items,
            "exhausted": self.exhausted,
        }


async def _connections(spec: dict[str, Any]) -> list[RawConnection]:
    addresses = [urlsplit(url) for url in spec["urls"]]
    return [
        await RawConnection.open(address.hostname or "127.0.0.1", address.port or 80)
        for index in range(spec["connections"])
        for address in [addresses[index % len(addresses)]]
    ]


async def _go() -> None:
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def _go_and_run(
    workers: list[Callable[[float], Awaitable[None]]], seconds: float, connections: Sequence[Any]
) -> float:
    """Say ready, wait for the word, run the workers for `seconds`, then close the connections."""
    await _go()
    try:
        started = time.monotonic()
        await asyncio.gather(*(worker(started + seconds) for worker in workers))
        return time.monotonic() - started
    finally:
        for connection in connections:
            await connection.close()


async def keep_asking(
    connections: list[RawConnection],
    ask: Callable[[RawConnection], Awaitable[tuple[int, bytes]]],
    tally: Tally,
    seconds: float,
    rate: float | None = None,
) -> float:
    """Say ready, wait for the word, then on every connection one request after the other (`ask`) for
    `seconds`; a connection that fails stops there.

    With `rate` (requests a second over all the connections) the load is offered at that rate instead of as
    fast as answers come: each connection's requests are due on a schedule of its own, and a request's time
    is counted from when it was due, so that a slow answer also counts against the requests it held up."""
    interval = len(connections) / rate if rate else 0.0

    def worker(connection: RawConnection, phase: float) -> Callable[[float], Awaitable[None]]:
        async def run(deadline: float) -> None:
            due = time.perf_counter() + phase * interval
            while time.monotonic() < deadline:
                if interval:
                    ahead = due - time.perf_counter()
                    if ahead > 0:
                        await asyncio.sleep(ahead)
                sent = due if interval else time.perf_counter()
                due += interval
                try:
                    status, body = await ask(connection)
                except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                    tally.failed(error)
                    return
                tally.answer(status, sent, body)

        return run

    workers = [worker(connection, k / len(connections)) for k, connection in enumerate(connections)]
    return await _go_and_run(workers, seconds, connections)


async def lookup(spec: dict[str, Any], tally: Tally) -> float:
    rng = random.Random(spec["seed"])
    codes: list[list[str]] = spec["codes"]
    connections = await _connections(spec)
    for connection in connections:  # warm up: the connection, the prepared statement, the calendar
        code, factor, _ = rng.choice(codes)
        await connection.post_json(LOOKUP_PATH, {"code": code, "factor": factor}, {})

    def ask(connection: RawConnection) -> Awaitable[tuple[int, bytes]]:
        code, factor, _ = rng.choice(codes)
        return connection.post_json(LOOKUP_PATH, {"code": code, "factor": factor}, {})

    return await keep_asking(connections, ask, tally, spec["seconds"], spec.get("rate"))


async def sql(spec: dict[str, Any], tally: Tally) -> float:
    rng = random.Random(spec["seed"])
    codes: list[list[str]] = spec["codes"]
    statement: str = spec["sql"]
    connections = [await asyncpg.connect(spec["dsn"]) for _ in range(spec["connections"])]
    for connection in connections:
        await connection.fetchrow(statement, *rng.choice(codes))

    def worker(connection: asyncpg.Connection) -> Callable[[float], Awaitable[None]]:
        async def run(deadline: float) -> None:
            while time.monotonic() < deadline:
                parameters = rng.choice(codes)
                sent = time.perf_counter()
                row = await connection.fetchrow(statement, *parameters)
                tally.answer(200 if row is not None else "no row", sent)

        return run

    return await _go_and_run([worker(connection) for connection in connections], spec["seconds"], connections)


def _items(updates: list[list[Any]]) -> list[dict[str, Any]]:
    return [
        {
            "type": "status",
            "code": code,
            "status": status,
            "at": at,
            "unit_name": OFFICES[k % len(OFFICES)],
            "officer_name": OFFICERS[k % len(OFFICERS)],
        }
        for k, (code, status, at) in enumerate(updates)
    ]


async def sync(spec: dict[str, Any], tally: Tally) -> float:
    connections = await _connections(spec)
    queues: list[list[dict[str, Any]]] = spec["batches"]

    def worker(
        connection: RawConnection, batches: list[dict[str, Any]]
    ) -> Callable[[float], Awaitable[None]]:
        async def run(deadline: float) -> None:
            for batch in batches:
                if time.monotonic() >= deadline:
                    return
                body = {"items": _items(batch["updates"])}
                sent = time.perf_counter()
                try:
                    status, answer = await connection.post_json(SYNC_PATH, body, {"X-API-Key": batch["key"]})
                except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                    tally.failed(error)
                    return
                tally.answer(status, sent, answer)
                tally.items += len(batch["updates"])
                if status == 200:
                    for outcome, count in json.loads(answer)["counts"].items():
                        tally.outcomes[outcome] = tally.outcomes.get(outcome, 0) + count
            tally.exhausted += 1

        return run

    workers = [worker(connection, queues[k]) for k, connection in enumerate(connections)]
    return await _go_and_run(workers, spec["seconds"], connections)


MODES: dict[str, Callable[[dict[str, Any], Tally], Awaitable[float]]] = {
    "lookup": lookup,
    "sql": sql,
    "sync": sync,
}


def run_spec(modes: dict[str, Callable[[dict[str, Any], Tally], Awaitable[float]]], tally: Tally) -> None:
    """The command line of a load process: run the mode --spec names with `tally`, write it to --out."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    options = parser.parse_args()
    spec = json.loads(options.spec.read_text())

    async def measure() -> dict[str, Any]:
        seconds = await modes[spec["mode"]](spec, tally)
        return tally.as_json(seconds)

    # uvloop, like the API under uvicorn: the load shares the machine and must cost it little.
    options.out.write_text(json.dumps(uvloop.run(measure())))


if __name__ == "__main__":
    run_spec(MODES, Tally())
