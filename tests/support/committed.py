"""Reference data committed for real, for tests whose transactions race and must see each other's commits
(the suite's own session is rolled back, so nothing else can see its rows)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.units.importer import import_units
from feedback.catalogue.cache import forget_categories
from feedback.catalogue.seed import CATEGORIES_FILE, seed_catalogue
from tests.support.units import DEMO


@asynccontextmanager
async def committed_catalogue(engine: AsyncEngine) -> AsyncIterator[None]:
    """The demo province with its departments and report categories, committed; removed afterwards unless
    they were there before. Whatever the test committed that refers to them must be gone by then."""
    catalogue: dict[str, Any] = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))
    async with AsyncSession(engine, expire_on_commit=False) as session:
        had_units = bool(await session.scalar(text("SELECT count(*) FROM admin_units")))
        had_categories = bool(await session.scalar(text("SELECT count(*) FROM feedback_categories")))
        await import_units(session, DEMO)
        await seed_catalogue(session, catalogue)
        await session.commit()
    forget_categories()
    try:
        yield
    finally:
        async with AsyncSession(engine) as session:
            if not had_categories:
                await session.execute(text("DELETE FROM feedback_categories"))
                await session.execute(text("DELETE FROM departments"))
            if not had_units:
                await session.execute(text("DELETE FROM incidents"))
                await session.execute(text("DELETE FROM admin_units WHERE parent_code IS NOT NULL"))
                await session.execute(text("DELETE FROM admin_units"))
            await session.commit()
        forget_categories()
