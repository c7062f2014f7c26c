"""All SQL of the citizen's side of dossiers: the view (one round trip: the dossier with its procedure,
agency, public steps and apologies as JSON aggregates), her list, follows, ratings, and the account cleanup.

Reads return plain rows (no ORM objects): the lookup is the hot path of the whole domain.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import DateTime
from sqlalchemy.types import Uuid as UuidType

from core.cursor import Cursor

# The steps meant for the applicant and the apologies, oldest first, each as one JSON array.
_VIEW_COLUMNS = """
    d.id, d.code, d.channel, d.status, d.applicant_name, d.received_at, d.due_at, d.original_due_at,
    d.paused_at, d.finished_at, d.returned_at, d.forced_late, d.next_action,
    p.code AS procedure_code, p.name_vi AS procedure_name_vi, p.name_en AS procedure_name_en,
    a.code AS agency_code, a.name_vi AS agency_name_vi, a.name_en AS agency_name_en,
    (SELECT coalesce(json_agg(json_build_object(
                'status', s.status, 'at', s.at, 'unit_name', s.unit_name, 'comment', s.comment)
            ORDER BY s.at, s.id), '[]'::json)
     FROM dossier_steps s WHERE s.dossier_id = d.id AND s.public) AS steps,
    (SELECT coalesce(json_agg(json_build_object(
                'reason_vi', ap.reason_vi, 'reason_en', ap.reason_en,
                'new_due_at', ap.new_due_at, 'issued_at', ap.issued_at)
            ORDER BY ap.issued_at, ap.id), '[]'::json)
     FROM dossier_apologies ap WHERE ap.dossier_id = d.id) AS apologies"""
_VIEW_FROM = """
FROM dossiers d
JOIN dossier_procedures p ON p.id = d.procedure_id
JOIN dossier_agencies a ON a.id = d.agency_id"""
_VIEW_TYPES: dict[str, Any] = {"steps": JSON, "apologies": JSON, "next_action": JSONB}

# The second factor: the phone's last four digits (the phone is kept in clear to notify her) or the keyed hash
# of the code and the ID number's last four. An unknown code and a wrong factor find the same nothing.
# It is the busiest statement of the domain, so it goes straight to asyncpg (positional parameters).
BY_FACTOR = f"""
SELECT {_VIEW_COLUMNS}
{_VIEW_FROM}
WHERE d.code = $1 AND (right(d.applicant_phone, 4) = $2 OR d.id_suffix_hash = $3)
"""

# Her dossiers are linked to her by her verified phone or her ID number's hash (a deleted account has
# neither), or followed.
_ME = """
LEFT JOIN LATERAL (
    SELECT u.phone, u.national_id_hash FROM users u WHERE u.id = :user_id AND u.deleted_at IS NULL
) me ON true"""
_LINKED = "coalesce(d.applicant_phone = me.phone OR d.applicant_id_hash = me.national_id_hash, false)"
_FOLLOWING = "EXISTS (SELECT 1 FROM dossier_followers f WHERE f.dossier_id = d.id AND f.user_id = :user_id)"
_MINE_COLUMNS = f"""{_VIEW_COLUMNS},
    {_LINKED} AS linked, {_FOLLOWING} AS following,
    r.rating, r.comment AS rating_comment, r.created_at AS rated_at"""
_MINE_FROM = f"""{_VIEW_FROM}
LEFT JOIN dossier_ratings r ON r.dossier_id = d.id{_ME}"""

_MINE = text(f"""
SELECT {_MINE_COLUMNS}
{_MINE_FROM}
WHERE d.code = :code AND ({_LINKED} OR {_FOLLOWING})
""").columns(**_VIEW_TYPES)

# Following needs the factor unless the dossier is hers already.
_MINE_OR_BY_FACTOR = text(f"""
SELECT {_MINE_COLUMNS}
{_MINE_FROM}
WHERE d.code = :code
  AND ({_LINKED} OR right(d.applicant_phone, 4) = :factor OR d.id_suffix_hash = :suffix_hash)
""").columns(**_VIEW_TYPES)


async def view_by_factor(connection: Any, code: str, factor: str, suffix_hash: str) -> Any | None:
    """The dossier `code` with everything its view shows, if `factor` is its second factor: one statement
    straight to the driver's `connection` (core.db.read_connection), with no transaction around it."""
    record = await connection.fetchrow(BY_FACTOR, code, factor, suffix_hash)
    # The engine's connections decode json and jsonb (SQLAlchemy sets their codecs on connect).
    return None if record is None else SimpleNamespace(**record)


async def my_view(session: AsyncSession, user_id: uuid.UUID, code: str) -> Any | None:
    """The dossier `code` if it is linked to the citizen or she follows it, with her flags and its rating."""
    return (await session.execute(_MINE, {"code": code, "user_id": user_id})).first()


async def my_view_or_by_factor(
    session: AsyncSession, user_id: uuid.UUID, code: str, factor: str | None, suffix_hash: str | None
) -> Any | None:
    """The dossier `code` if it is linked to the citizen or `factor` is its second factor."""
    parameters = {"code": code, "user_id": user_id, "factor": factor, "suffix_hash": suffix_hash}
    return (await session.execute(_MINE_OR_BY_FACTOR, parameters)).first()


# -- Her list ----------------------------------------------------------------------------------------------

_MY_LIST_FROM = f"""
SELECT d.id, d.code, d.status, d.received_at, d.due_at, d.original_due_at, d.paused_at, d.finished_at,
       d.forced_late,
       p.code AS procedure_code, p.name_vi AS procedure_name_vi, p.name_en AS procedure_name_en,
       {_LINKED} AS linked, {_FOLLOWING} AS following
FROM (
    SELECT d.id FROM dossiers d JOIN users u ON d.applicant_phone = u.phone
    WHERE u.id = :user_id AND u.deleted_at IS NULL
    UNION
    SELECT d.id FROM dossiers d JOIN users u ON d.applicant_id_hash = u.national_id_hash
    WHERE u.id = :user_id AND u.deleted_at IS NULL
    UNION
    SELECT f.dossier_id FROM dossier_followers f WHERE f.user_id = :user_id
) AS mine
JOIN dossiers d ON d.id = mine.id
JOIN dossier_procedures p ON p.id = d.procedure_id{_ME}
"""  # noqa: S608  (constants)
_NEWEST_FIRST = "ORDER BY d.received_at DESC, d.id DESC LIMIT :limit"
_MY_LIST_FIRST = text(_MY_LIST_FROM + _NEWEST_FIRST)
_MY_LIST_AFTER = text(
    _MY_LIST_FROM + "WHERE (d.received_at, d.id) < (:after_at, :after_id)\n" + _NEWEST_FIRST
).bindparams(bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=UuidType))


async def my_dossiers(
    session: AsyncSession, user_id: uuid.UUID, *, after: Cursor | None, limit: int
) -> list[Any]:
    """Up to `limit` of her dossiers, newest received first, after the cursor's position."""
    if after is None:
        result = await session.execute(_MY_LIST_FIRST, {"user_id": user_id, "limit": limit})
    else:
        result = await session.execute(
            _MY_LIST_AFTER,
            {"user_id": user_id, "limit": limit, "after_at": after.at, "after_id": after.id},
        )
    return list(result.all())


# -- Follows and ratings -----------------------------------------------------------------------------------

_FOLLOW = text("""
INSERT INTO dossier_followers (dossier_id, user_id) VALUES (:dossier_id, :user_id)
ON CONFLICT DO NOTHING
RETURNING 1
""")
_UNFOLLOW = text("""
DELETE FROM dossier_followers f USING dossiers d
WHERE f.dossier_id = d.id AND d.code = :code AND f.user_id = :user_id
RETURNING 1
""")
_RATE = text("""
INSERT INTO dossier_ratings (dossier_id, user_id, rating, comment)
VALUES (:dossier_id, :user_id, :rating, :comment)
ON CONFLICT (dossier_id) DO NOTHING
RETURNING created_at
""")


async def follow(session: AsyncSession, dossier_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Whether a new follow was added (False: she followed it already)."""
    result = await session.execute(_FOLLOW, {"dossier_id": dossier_id, "user_id": user_id})
    return result.first() is not None


async def unfollow(session: AsyncSession, code: str, user_id: uuid.UUID) -> bool:
    """Whether she followed the dossier `code` (and now does not)."""
    return (await session.execute(_UNFOLLOW, {"code": code, "user_id": user_id})).first() is not None


async def add_rating(
    session: AsyncSession, dossier_id: uuid.UUID, user_id: uuid.UUID, rating: str, comment: str | None
) -> datetime | None:
    """When the rating was stored; None when the dossier was rated already (once per dossier)."""
    parameters = {"dossier_id": dossier_id, "user_id": user_id, "rating": rating, "comment": comment}
    created: datetime | None = (await session.execute(_RATE, parameters)).scalar()
    return created


# -- Account deletion --------------------------------------------------------------------------------------

_FORGET_FOLLOWS = text("DELETE FROM dossier_followers WHERE user_id = :user_id")
_UNLINK_RATINGS = text("UPDATE dossier_ratings SET user_id = NULL WHERE user_id = :user_id")


async def forget_citizen(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Her follows go; her ratings stay (the agency's figures count them) without naming her."""
    await session.execute(_FORGET_FOLLOWS, {"user_id": user_id})
    await session.execute(_UNLINK_RATINGS, {"user_id": user_id})
