"""Property-based fuzzing of every documented operation: no generated request may produce a 5xx, and every
answer is one the OpenAPI document declares.

Schemathesis generates valid and invalid requests from the app's own OpenAPI document (the one exported to
mobile_contract/openapi.json; the contract tests keep the two identical) and sends them in-process through its
ASGI transport, which runs the app's lifespan like a server would. The lifespan gets resources whose sessions
all join one transaction that is rolled back when Schemathesis ends the lifespan after each test, so fuzzing
leaves the test database as it found it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from redis.asyncio import Redis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from api.app import create_app
from core.db import create_engine
from core.http.resources import Resources
from core.settings import Settings

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
                yield Resources(settings=settings, engine=engine, sessionmaker=sessionmaker, redis=redis)
            finally:
                await transaction.rollback()
    finally:
        await redis.flushdb()
        await redis.aclose()
        await engine.dispose()


APP = create_app(stack.test_settings(), resources_factory=rolled_back_resources)

# Loaded from the document rather than fetched over ASGI at import time: fetching would start the lifespan,
# and so open a database connection, before the `migrated` fixture has created the test database.
schema = schemathesis.openapi.from_dict(
    APP.openapi(),
    # A fixed seed: the same requests on every run and in CI, so a failure is reproducible.
    config=schemathesis.Config.from_dict({"seed": 20250701}),
)
schema.app = APP

# Fifty examples per operation keep the module well under a minute; deadline=None because the first request
# of an operation pays for the lifespan (database connection) and would trip Hypothesis' timing checks.
FUZZ = settings(
    max_examples=50,
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
    case.call_and_validate(checks=CHECKS)


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
