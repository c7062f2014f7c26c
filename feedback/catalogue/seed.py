"""Load the report catalogue (departments and categories) from YAML, all or nothing, idempotently by code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import in_own_transaction
from core.settings import PROJECT_ROOT, Settings
from core.units.models import UnitLevel
from core.units.repository import get_unit
from feedback.catalogue import repository
from feedback.catalogue.schemas import CatalogueDocument

CATEGORIES_FILE = PROJECT_ROOT / "data" / "feedback" / "categories.yaml"


class CatalogueError(Exception):
    """The catalogue cannot be loaded; the message lists every problem found, each with where it is."""


@dataclass(frozen=True, slots=True)
class SeedResult:
    departments: int
    categories: int


def parse_catalogue(raw: Any) -> CatalogueDocument:
    try:
        return CatalogueDocument.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(map(str, error['loc'])) or 'file'}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        ]
        raise CatalogueError("; ".join(problems)) from exc


def read_catalogue(path: Path = CATEGORIES_FILE) -> CatalogueDocument:
    with path.open(encoding="utf-8") as stream:
        raw = yaml.safe_load(stream)
    return parse_catalogue(raw)


async def seed_catalogue(session: AsyncSession, raw: Any) -> SeedResult:
    """Insert or update the departments and categories of `raw` (parsed YAML or a CatalogueDocument) in the
    caller's session. Everything is checked before anything is written. Rows missing from the file are left
    as they are: switching a category off is done with `active: false`, so reports keep their category."""
    document = raw if isinstance(raw, CatalogueDocument) else parse_catalogue(raw)
    provinces = sorted({department.province_code for department in document.departments})
    for code in provinces:
        unit = await get_unit(session, code)
        if unit is None or unit.level is not UnitLevel.PROVINCE:
            raise CatalogueError(f"province {code} is not loaded: import the administrative units first")
    await repository.upsert_departments(session, document.departments)
    await repository.upsert_categories(session, document.categories)
    return SeedResult(departments=len(document.departments), categories=len(document.categories))


async def seed_catalogue_file(settings: Settings, path: Path = CATEGORIES_FILE) -> SeedResult:
    """Seed from a file in its own transaction: the command line's unit of work."""
    document = read_catalogue(path)
    return await in_own_transaction(settings, lambda session: seed_catalogue(session, document))
