"""Helpers of the alert-rule route tests: bodies, the report catalogue, and counting what was stored."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.catalogue.seed import CATEGORIES_FILE, seed_catalogue
from ioc.rules.models import AlertRule, AlertRuleVersion
from tests.support.alarms import FLOOD_RULE

URL = "/api/v1/alert-rules"

_CATALOGUE: dict[str, Any] = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))


async def with_catalogue(session: AsyncSession) -> None:
    """The report categories (flooding, road_damage...) in the test's transaction."""
    await seed_catalogue(session, _CATALOGUE)
    await session.flush()


def flood(**changes: Any) -> dict[str, Any]:
    """The flood rule of tests/support/alarms.py with top-level `changes`."""
    return {**copy.deepcopy(FLOOD_RULE), **changes}


async def create(
    client: AsyncClient, headers: dict[str, str], definition: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    response = await client.post(URL, json={"definition": definition or flood(), **fields}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def count_rules(session: AsyncSession) -> tuple[int, int]:
    """How many rules and versions are stored."""
    rules = await session.scalar(select(func.count()).select_from(AlertRule))
    versions = await session.scalar(select(func.count()).select_from(AlertRuleVersion))
    return int(rules or 0), int(versions or 0)
