"""The SQL of dossier notifications: who hears about a batch of changes, in one query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String
from sqlalchemy.types import Uuid as UuidType

# The citizens linked to each dossier (her verified phone, her ID number's keyed hash) and its followers.
# Each link is its own arm so that each uses its unique index on users; accounts deleted or deactivated are
# left out (enqueue_to_user would only record them as dropped).
_AUDIENCE = text("""
WITH c AS (
    SELECT * FROM unnest(:dossier_ids, :phones, :id_hashes) AS c(dossier_id, phone, id_hash)
)
SELECT c.dossier_id, u.id AS user_id
FROM c JOIN users u ON u.phone = c.phone
WHERE u.is_active AND u.deleted_at IS NULL
UNION
SELECT c.dossier_id, u.id
FROM c JOIN users u ON u.national_id_hash = c.id_hash
WHERE u.is_active AND u.deleted_at IS NULL
UNION
SELECT f.dossier_id, f.user_id
FROM dossier_followers f
WHERE f.dossier_id = ANY(:dossier_ids)
""").bindparams(
    bindparam("dossier_ids", type_=ARRAY(UuidType)),
    bindparam("phones", type_=ARRAY(String)),
    bindparam("id_hashes", type_=ARRAY(String)),
)


async def audience(
    session: AsyncSession, dossiers: Sequence[tuple[uuid.UUID, str | None, str | None]]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For each (dossier id, applicant's phone, ID hash), the users to tell, each once, in a stable order."""
    if not dossiers:
        return {}
    result = await session.execute(
        _AUDIENCE,
        {
            "dossier_ids": [dossier_id for dossier_id, _, _ in dossiers],
            "phones": [phone for _, phone, _ in dossiers],
            "id_hashes": [id_hash for _, _, id_hash in dossiers],
        },
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for dossier_id, user_id in sorted(result.all()):
        found.setdefault(dossier_id, []).append(user_id)
    return found
