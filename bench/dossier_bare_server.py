"""A second baseline of bench/dossier_tracking.py: the lookup's own work behind a bare HTTP server.

The same body model (dossiers.citizen.schemas.LookupBody), the same statement on a pool of asyncpg
connections, the same failure limits (dossiers.citizen.limits, one Redis round trip) and the same view
(dossiers.citizen.view), served by an `asyncio.Protocol` over httptools on uvloop: no ASGI server, no
framework, no middleware, no access log. What the API costs beyond this is the price of its HTTP stack;
with `--no-limits` the Redis round trip is left out as well, to show what it costs.

It answers only what the benchmark asks (POST /api/v1/dossiers/lookup with a well-formed body, and
GET /health); anything else gets a bare 404 or 400. It is a measuring device, never a server of the product.

Run by bench/dossier_tracking.py: python bench/dossier_bare_server.py --port N [--no-limits]
(the database and Redis from SMARTCITY_DATABASE_URL and SMARTCITY_REDIS_URL, as the API takes them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from email.utils import formatdate
from types import SimpleNamespace
from typing import Any

import asyncpg
import httptools
import uvloop
from pydantic import ValidationError
from redis.asyncio import Redis

from core.calendar import working_calendar
from core.errors import ProblemError
from core.settings import Settings, get_settings
from dossiers.citizen.limits import settle
from dossiers.citizen.repository import BY_FACTOR
from dossiers.citizen.schemas import LookupBody
from dossiers.citizen.view import dossier_view
from dossiers.keys import suffix_hash

LOOKUP_PATH = b"/api/v1/dossiers/lookup"
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


class Lookups:
    """What every connection shares: the settings, the calendar, the pool, Redis."""

    def __init__(self, settings: Settings, pool: Any, redis: Redis | None) -> None:
        self.settings = settings
        self.calendar = working_calendar(settings)
        self.pool = pool
        self.redis = redis

    async def answer(self, body: bytes, client_ip: str) -> tuple[int, bytes]:
        try:
            asked = LookupBody.model_validate_json(body)
        except ValidationError:
            return 400, b'{"code":"validation_error"}'
        now = datetime.now(UTC)
        hashed = suffix_hash(self.settings, asked.code, asked.factor)
        async with self.pool.acquire() as connection:
            record = await connection.fetchrow(BY_FACTOR, asked.code, asked.factor, hashed)
        if self.redis is not None:
            try:
                await settle(
                    self.redis,
                    self.settings,
                    client_ip=client_ip,
                    code=asked.code,
                    failed=record is None,
                    now=now.timestamp(),
                )
            except ProblemError as exc:
                return exc.status, json.dumps({"code": exc.code}).encode()
        if record is None:
            return 404, b'{"code":"dossier_not_found"}'
        view = dossier_view(SimpleNamespace(**record), self.calendar, now)
        return 200, view.model_dump_json().encode()


class Connection(asyncio.Protocol):
    """One client connection; requests on it are answered in their order."""

    def __init__(self, lookups: Lookups) -> None:
        self._lookups = lookups
        self._parser = httptools.HttpRequestParser(self)
        self._transport: Any = None
        self._client_ip = ""
        self._url = b""
        self._body: list[bytes] = []
        self._last: asyncio.Future[None] | None = None

    def connection_made(self, transport: Any) -> None:
        self._transport = transport
        self._client_ip = transport.get_extra_info("peername")[0]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._transport.close()

    def on_url(self, url: bytes) -> None:
        self._url = url

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        body, self._body = b"".join(self._body), []
        method, url = self._parser.get_method(), self._url
        self._last = asyncio.ensure_future(self._serve(method, url, body, self._last))

    async def _serve(
        self, method: bytes, url: bytes, body: bytes, before: asyncio.Future[None] | None
    ) -> None:
        if method == b"POST" and url == LOOKUP_PATH:
            status, payload = await self._lookups.answer(body, self._client_ip)
        elif method == b"GET" and url == b"/health":
            status, payload = 200, b'{"status":"ok"}'
        else:
            status, payload = 404, b'{"code":"not_found"}'
        if before is not None:
            await before
        head = (
            f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
            f"date: {formatdate(usegmt=True)}\r\nserver: bare\r\n"
            f"content-type: application/json\r\ncontent-length: {len(payload)}\r\n"
            "cache-control: no-store\r\nx-content-type-options: nosniff\r\n\r\n"
        )
        if not self._transport.is_closing():
            self._transport.write(head.encode() + payload)


async def _decode_json(connection: Any) -> None:
    # As the API's engine does, so that the view gets the steps and apologies as lists.
    for name in ("json", "jsonb"):
        await connection.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def serve(port: int, limits: bool) -> None:
    settings = get_settings()
    dsn = settings.database_dsn.replace("postgresql+asyncpg://", "postgresql://", 1)
    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=settings.database_pool_size, init=_decode_json)
    redis = Redis.from_url(settings.redis_dsn) if limits else None
    lookups = Lookups(settings, pool, redis)
    server = await asyncio.get_running_loop().create_server(lambda: Connection(lookups), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-limits", action="store_true", help="leave out the failure limits' round trip")
    args = parser.parse_args()
    uvloop.run(serve(args.port, limits=not args.no_limits))


if __name__ == "__main__":
    main()
