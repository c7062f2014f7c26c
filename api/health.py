"""Liveness, readiness and metrics endpoints for orchestrators and Prometheus."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.observability import metrics_endpoint
from api.problems import problem_response
from core.broker import probe_broker
from core.http.deps import ResourcesDep
from core.http.policies import PUBLIC
from core.http.resources import Resources
from migrations.runner import current_revisions, head_revisions

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]


class CheckResult(BaseModel):
    ok: bool
    duration_ms: float
    error: str | None = None


class Readiness(BaseModel):
    status: Literal["ready"]
    checks: dict[str, CheckResult]


@router.get("/health", response_model=Health, summary="The process is alive", dependencies=[PUBLIC])
async def health() -> Health:
    return Health(status="ok")


async def _check_database(resources: Resources) -> None:
    async with resources.sessionmaker() as session:
        current = await current_revisions(await session.connection())
    heads = head_revisions()
    if current != heads:
        raise RuntimeError(f"migrations not current: database at {sorted(current)}, code at {sorted(heads)}")


async def _check_redis(resources: Resources) -> None:
    await resources.redis.ping()


async def _check_broker(resources: Resources) -> None:
    s = resources.settings
    await probe_broker(
        s.mqtt_host, s.mqtt_port, s.mqtt_username, s.mqtt_password.get_secret_value(), s.ready_timeout_seconds
    )


async def _timed(check: Callable[[Resources], Awaitable[None]], resources: Resources) -> CheckResult:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(resources.settings.ready_timeout_seconds):
            await check(resources)
    except Exception as exc:  # a failing dependency is the answer, not an error
        return CheckResult(ok=False, duration_ms=_ms(started), error=f"{type(exc).__name__}: {exc}"[:300])
    return CheckResult(ok=True, duration_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


@router.get(
    "/ready",
    response_model=Readiness,
    summary="Database (with migrations current), Redis and the MQTT broker are reachable",
    dependencies=[PUBLIC],
    responses={
        503: {"description": "A dependency is not reachable", "content": {"application/problem+json": {}}},
    },
)
async def ready(request: Request, resources: ResourcesDep) -> Any:
    names = ("database", "redis", "broker")
    results = await asyncio.gather(
        _timed(_check_database, resources), _timed(_check_redis, resources), _timed(_check_broker, resources)
    )
    checks = dict(zip(names, results, strict=True))
    if all(result.ok for result in results):
        return Readiness(status="ready", checks=checks)
    return problem_response(
        request,
        status=503,
        code="not_ready",
        extensions={"checks": {name: result.model_dump() for name, result in checks.items()}},
    )


# Public like the probes: the metrics are counts and latencies per route template, with no personal data. In
# production the proxy should keep /metrics, like /ready, on the internal network for Prometheus.
router.add_api_route(
    "/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False, dependencies=[PUBLIC]
)
