"""Database engine, sessions and the shared metadata with its constraint naming convention."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Column, DateTime, MetaData, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import Field, SQLModel

from core.settings import Settings

# Stable constraint names make Alembic migrations reviewable and reversible.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.database_dsn,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        # No ping before each checkout: with asyncpg it costs two round trips on every request. A connection
        # found dead fails its one request, and SQLAlchemy then discards every older pooled connection at
        # once; recycling bounds how long an idle connection may have been cut by a firewall.
        pool_pre_ping=False,
        pool_recycle=1800,
        # Parameters hold phones and text bodies with sign-in codes: never in an error message or a log.
        hide_parameters=True,
        # Timestamps are stored in UTC; the server session must not convert them.
        connect_args={"server_settings": {"timezone": "UTC", "application_name": settings.app_name}},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


T = TypeVar("T")


async def in_own_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` on a session of its own, committed when it returns: a command's unit of work (e.g. a seed)."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


async def raw_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under a session, for statements sent straight to the driver: bulk writers
    inside the session's transaction, and hot reads that need none (with asyncpg, SQLAlchemy sends BEGIN
    only before the first statement it runs itself, so a read sent here alone costs one round trip, not
    three)."""
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


@asynccontextmanager
async def read_connection(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[Any]:
    """The asyncpg connection that `sessionmaker`'s sessions would use, without a session around it, for
    the hottest reads: one statement, no transaction, and none of a session's bookkeeping (opening and
    closing one costs more CPU than such a statement). Sessions bound to one connection (a test's
    transaction) read on that connection."""
    bind = sessionmaker.kw["bind"]
    if isinstance(bind, AsyncConnection):
        yield (await bind.get_raw_connection()).driver_connection
        return
    async with bind.connect() as connection:
        yield (await connection.get_raw_connection()).driver_connection


def utcnow() -> datetime:
    return datetime.now(UTC)


def uuid_primary_key() -> Any:
    """A UUID primary key, made by the application or, for rows written in SQL, by PostgreSQL."""
    return Field(
        default_factory=uuid.uuid4,
        sa_column=Column(UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    )


def timestamp_now(*, index: bool = False) -> Any:
    """A required timestamptz column that defaults to now, in Python and in SQL alike."""
    return Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now(), index=index),
    )
