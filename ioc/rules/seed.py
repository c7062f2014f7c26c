"""The alert rules a new province starts with (data/ioc/rules.yaml), created by `smartcity seed`.

Each rule is created through the same checks as the admin routes; one whose name is already in force is
left alone, so seeding again changes nothing and an admin's later edits survive it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

# The tables the rules refer to (their authors), so that the ORM can order its writes in a process that
# loaded nothing else (the `smartcity seed` command).
import core.identity.models  # noqa: F401
from core.db import in_own_transaction
from core.identity.principal import Principal, Role
from core.settings import PROJECT_ROOT, Settings
from ioc.rules import service
from ioc.rules.repository import seeding
from ioc.rules.schemas import RuleCreate

RULES_FILE = PROJECT_ROOT / "data" / "ioc" / "rules.yaml"
_DOCUMENT: TypeAdapter[list[RuleCreate]] = TypeAdapter(list[RuleCreate])


def read_rules(path: Path = RULES_FILE) -> list[RuleCreate]:
    """The file's rules, each checked as the routes check a body (raises on the first bad one)."""
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _DOCUMENT.validate_python([{"definition": rule} for rule in raw["rules"]])


async def seed_rules(session: AsyncSession, rules: list[RuleCreate]) -> int:
    """Create the rules not yet in force by name; returns how many were created. Never commits."""
    author = Principal(user_id=await seeding.system_user(session), role=Role.ADMIN)
    existing = await seeding.rule_names(session)
    made = 0
    for rule in rules:
        if rule.definition.name in existing:
            continue
        await service.create_rule(session, author, rule)
        existing.add(rule.definition.name)
        made += 1
    return made


async def seed_rules_file(settings: Settings, path: Path = RULES_FILE) -> int:
    """Seed from a file in its own transaction: the command line's unit of work."""
    rules = read_rules(path)
    return await in_own_transaction(settings, lambda session: seed_rules(session, rules))
