"""Property-based fuzzing of every documented operation: no generated request may produce a 5xx, and every
answer is one the OpenAPI document declares, whoever sends it.

Schemathesis generates valid and invalid requests from the app's own OpenAPI document (the one exported to
mobile_contract/openapi.json; the contract tests keep the two identical) and sends them in-process through its
ASGI transport, which runs the app's lifespan like a server would. The lifespan gets resources whose sessions
all join one transaction that is rolled back when Schemathesis ends the lifespan after each test, so fuzzing
leaves the test database as it found it. That transaction holds the demo province, its report catalogue and
the users of the five callers (tests/api/fuzz_callers.py); every generated request is sent as each of them.
Devices an admin's request registers get broker identities on the real broker: they are deleted before the
rollback forgets them.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from redis.asyncio import Redis
from requests.structures import CaseInsensitiveDict
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col

from api.app import create_app
from core.db import create_engine
from core.http.resources import Resources
from core.settings import Settings
from iot.registry.broker_admin import BrokerAdmin
from iot.registry.models import Device
from tests.api.fuzz_callers import ANONYMOUS, CALLERS, Caller, seed_callers

# Imported as a module: a bare `test_settings` name would be collected as a test.
from tests.support import stack


@asynccontextmanager
async def rolled_back_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Real resources whose every session joins one outer transaction, rolled back at the end."""
    engine = create_engine(settings)
    redis = Redis.from_url(settings.redis_dsn)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            try:
                sessionmaker = async_sessionmaker(
                    bind=connection,
                    expire_on_commit=False,
                    autoflush=False,
                    join_transaction_mode="create_savepoint",
                )
                async with sessionmaker() as session:
                    await seed_callers(session)
                    await session.commit()
                try:
                    yield Resources(settings=settings, engine=engine, sessionmaker=sessionmaker, redis=redis)
                finally:
                    await _delete_device_clients(settings, sessionmaker)
            finally:
                await transaction.rollback()
    finally:
        await redis.flushdb()
        await redis.aclose()
        await engine.dispose()


async def _delete_device_clients(settings: Settings, sessionmaker: async_sessionmaker[Any]) -> None:
    """Delete the broker identity of every device in the transaction (one never made is not an error)."""
    async with sessionmaker() as session:
        ids = (await session.execute(select(col(Device.id)))).scalars().all()
    if not ids:
        return
    admin = BrokerAdmin(settings)
    try:
        for device_id in ids:
            await admin.delete_client(str(device_id))
    finally:
        await admin.close()


# Photos an authorised caller uploads go to a folder of their own, gone when the run ends.
_MEDIA = tempfile.TemporaryDirectory(prefix="smartcity-fuzz-media-")
FUZZ_SETTINGS = stack.test_settings().model_copy(update={"media_root": Path(_MEDIA.name)})
APP = create_app(FUZZ_SETTINGS, resources_factory=rolled_back_resources)

# Loaded from the document rather than fetched over ASGI at import time: fetching would start the lifespan,
# and so open a database connection, before the `migrated` fixture has created the test database.
schema = schemathesis.openapi.from_dict(
    APP.openapi(),
    # A fixed seed: the same requests on every run and in CI, so a failure is reproducible.
    config=schemathesis.Config.from_dict({"seed": 20250701}),
)
schema.app = APP

# Each example is sent five times (once per caller), so twenty examples per operation keep the stage within
# about three minutes on two shared cores; deadline=None because the first request of an operation pays for
# the lifespan (database connection and seed rows) and would trip Hypothesis' timing checks.
FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# `not_a_server_error` is the point of this test. The three conformance checks hold the document to the truth
# (a status, media type or body the document does not declare fails), which is what phones are generated
# from. The data acceptance and rejection checks are left out: they judge how strict validation is, not
# whether the server survives or the document is right.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@FUZZ
@schema.parametrize()
def test_fuzzed_requests_get_no_5xx_and_documented_answers(
    case: schemathesis.Case[Any], migrated: Settings
) -> None:
    # An unhandled exception is re-raised by the in-process transport after the 500 is sent, so it fails the
    # test with its traceback and a curl command that reproduces it.
    generated = dict(case.headers or {})
    # A method the path does not have is refused by the router before any policy runs: one caller says it all.
    unexpected_method = case.method.upper() != case.operation.method.upper()
    for caller in (ANONYMOUS,) if unexpected_method else CALLERS:
        case.headers = CaseInsensitiveDict(_headers_of(caller, generated))
        case.call_and_validate(checks=CHECKS)


def _headers_of(caller: Caller, generated: dict[str, Any]) -> dict[str, Any]:
    """The generated headers with the caller's token in place of any generated one (none when anonymous)."""
    headers = {name: value for name, value in generated.items() if name.lower() != "authorization"}
    authorization = caller.authorization(FUZZ_SETTINGS)
    if authorization is not None:
        headers["Authorization"] = authorization
    return headers


async def test_fuzzing_resources_roll_back(migrated: Settings) -> None:
    async with rolled_back_resources(migrated) as resources:
        async with resources.sessionmaker() as session:
            await session.execute(text("CREATE TABLE fuzz_probe (id integer)"))
            await session.commit()
        async with resources.sessionmaker() as session:
            # The commit was real for the app: a later session sees the table.
            await session.execute(text("SELECT count(*) FROM fuzz_probe"))
    engine = create_engine(migrated)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(text("SELECT to_regclass('fuzz_probe') IS NOT NULL"))
    finally:
        await engine.dispose()
    assert found is False
