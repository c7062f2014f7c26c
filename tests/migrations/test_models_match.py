"""The Alembic migrations build exactly the schema the models describe, and downgrade cleanly."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from migrations.models import target_metadata
from migrations.runner import include_object


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": include_object}
    )
    return list(compare_metadata(context, target_metadata))


async def test_migrated_schema_matches_the_models(connection: AsyncConnection) -> None:
    differences = await connection.run_sync(_differences)
    assert differences == [], "models and migrations disagree; write a migration:\n" + "\n".join(
        map(str, differences)
    )
