"""SQL of the starting rules' seed: who wrote them, and which exist already."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# The author of the rules a province starts with: an admin account that cannot sign in (inactive, no
# password), so that the rules name someone and nobody can act as it.
SYSTEM_USERNAME = "system"

_SYSTEM_USER = text("""
WITH made AS (
    INSERT INTO users (id, role, username, display_name, language, is_active)
    VALUES (gen_random_uuid(), 'admin', :username, 'Hệ thống / System', 'vi', false)
    ON CONFLICT (username) DO NOTHING
    RETURNING id
)
SELECT id FROM made UNION ALL SELECT id FROM users WHERE username = :username
LIMIT 1
""")

_NAMES = text("""
SELECT v.name FROM alert_rules r
JOIN alert_rule_versions v ON v.rule_id = r.id AND v.version = r.current_version
WHERE r.deleted_at IS NULL
""")


async def system_user(session: AsyncSession) -> uuid.UUID:
    value = await session.scalar(_SYSTEM_USER, {"username": SYSTEM_USERNAME})
    return uuid.UUID(str(value))


async def rule_names(session: AsyncSession) -> set[str]:
    """The names of the rules in force (deleted ones are free again)."""
    return set((await session.scalars(_NAMES)).all())
