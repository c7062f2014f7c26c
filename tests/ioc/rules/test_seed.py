"""The starting rules: every one in the file passes the admin routes' checks, seeding twice creates them once,
and their author cannot sign in."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.catalogue.seed import CATEGORIES_FILE, read_catalogue, seed_catalogue
from ioc.rules.seed import read_rules, seed_rules


async def test_the_starting_rules_are_created_once_by_an_author_who_cannot_sign_in(
    units: AsyncSession,
) -> None:
    session = units
    await seed_catalogue(session, read_catalogue(CATEGORIES_FILE))
    rules = read_rules()
    kinds = {rule.definition.kind for rule in rules}
    assert {"telemetry", "camera", "silence", "report_surge"} <= {str(kind) for kind in kinds}

    assert await seed_rules(session, rules) == len(rules)
    assert await seed_rules(session, rules) == 0
    count = await session.scalar(text("SELECT count(*) FROM alert_rules WHERE deleted_at IS NULL"))
    assert count == len(rules)
    author = (
        await session.execute(
            text(
                "SELECT DISTINCT u.role, u.is_active, u.password_hash FROM alert_rules r "
                "JOIN users u ON u.id = r.created_by"
            )
        )
    ).one()
    assert (author.role, author.is_active, author.password_hash) == ("admin", False, None)


def test_the_seed_finds_every_table_its_rows_refer_to_in_a_process_of_its_own() -> None:
    # `smartcity seed` loads only what it imports: the authors' table must be among it.
    probe = (
        "import ioc.rules.seed\n"
        "from ioc.rules.models import AlertRule, AlertRuleVersion\n"
        "for table in (AlertRule.__table__, AlertRuleVersion.__table__):\n"
        "    for key in table.foreign_keys:\n"
        "        key.column\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
