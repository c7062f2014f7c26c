"""Liveness, readiness and metrics endpoints for orchestrators and Prometheus."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api.observability import metrics_endpoint
from api.problems import problem_response
from core.broker import probe_broker
from core.http.deps import ResourcesDep
from core.http.policies import PUBLIC, optional_api_key, require_api_key_in_production
from core.http.resources import Resources
from core.identity.api_keys import ApiClient
from migrations.runner import current_revisions, head_revisions

router = APIRouter(tags=["health"])

# Operators (an API key with ops:read) see why a check failed; anyone else sees only which one did: an error's
# text names hosts, ports and versions.
OPS_SCOPE = "ops:read"
Operator = Annotated[ApiClient | None, optional_api_key(OPS_SCOPE)]


class Health(BaseModel):
    status: Literal["ok"]


class CheckResult(BaseModel):
    ok: bool
    duration_ms: float
    # Only for operators (an API key with the scope ops:read).
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
    description="Anyone sees which checks pass; why one failed is shown only to an API key with the scope "
    "ops:read.",
    responses={
        503: {"description": "A dependency is not reachable", "content": {"application/problem+json": {}}},
        401: {"description": "An API key was sent but is not live (code api_key_invalid)"},
        403: {"description": "The API key lacks the scope ops:read (code insufficient_scope)"},
    },
)
async def ready(request: Request, resources: ResourcesDep, operator: Operator) -> Any:
    names = ("database", "redis", "broker")
    results: list[CheckResult] = list(
        await asyncio.gather(
            _timed(_check_database, resources),
            _timed(_check_redis, resources),
            _timed(_check_broker, resources),
        )
    )
    if operator is None:
        results = [result.model_copy(update={"error": None}) for result in results]
    checks = dict(zip(names, results, strict=True))
    if all(result.ok for result in results):
        return Readiness(status="ready", checks=checks)
    return problem_response(
        request,
        status=503,
        code="not_ready",
        extensions={"checks": {name: result.model_dump() for name, result in checks.items()}},
    )


# Counts and latencies per route template, with no personal data, but a map of the load: in production only
# for an API key with ops:read (Prometheus sends it as a header, scrape_config `http_headers`).
router.add_api_route(
    "/metrics",
    metrics_endpoint,
    methods=["GET"],
    include_in_schema=False,
    dependencies=[require_api_key_in_production(OPS_SCOPE)],
)
