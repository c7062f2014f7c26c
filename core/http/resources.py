"""Process-wide resources (database engine, Redis client), created at startup and closed at shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.db import create_engine, create_sessionmaker
from core.settings import Settings


@dataclass(slots=True)
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        engine = create_engine(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            redis=open_redis(settings),
        )

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()


def open_redis(settings: Settings, *, socket_timeout: float | None = None) -> Redis:
    """A client on a bounded pool that waits for a free connection (up to redis_pool_timeout_seconds)
    rather than failing at once, as redis-py's default pool does once it is full ("Too many connections")."""
    pool = BlockingConnectionPool.from_url(
        settings.redis_dsn,
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout_seconds,
        socket_timeout=socket_timeout or settings.ready_timeout_seconds,
        socket_connect_timeout=settings.ready_timeout_seconds,
    )
    return Redis.from_pool(pool)


ResourcesFactory = Callable[[Settings], AbstractAsyncContextManager[Resources]]


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    resources = Resources.open(settings)
    try:
        yield resources
    finally:
        await resources.close()
