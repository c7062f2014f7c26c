"""The citizen's side of dossiers: the lookup by code and second factor, her dossiers, follows, ratings.

An unknown code, a wrong factor and a dossier that is not hers all answer the same 404 dossier_not_found,
whose body never names the code: nobody can tell a dossier exists without its second factor.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import working_calendar
from core.cursor import Cursor, Page, fetch_limit, keyset_page
from core.errors import Message, ProblemError
from core.settings import Settings
from dossiers.citizen import limits, repository
from dossiers.citizen.schemas import DossierView, MyDossierSummary, MyDossierView
from dossiers.citizen.view import dossier_view, my_dossier_summary, my_dossier_view
from dossiers.keys import suffix_hash
from dossiers.types import Rating, Status

MY_SORT = "my_dossiers"


def not_found() -> ProblemError:
    return ProblemError(
        404,
        "dossier_not_found",
        Message(
            "Không tìm thấy hồ sơ với mã và 4 chữ số đã nhập",
            "No dossier was found with this code and these 4 digits",
        ),
    )


async def lookup(
    connection: Any,
    redis: Redis,
    settings: Settings,
    *,
    code: str,
    factor: str,
    client_ip: str,
    now: datetime,
) -> DossierView:
    """Anyone's lookup: one query on the driver's `connection` (core.db.read_connection), then one Redis
    round trip for the limits (see dossiers.citizen.limits)."""
    row = await repository.view_by_factor(connection, code, factor, suffix_hash(settings, code, factor))
    await limits.settle(
        redis, settings, client_ip=client_ip, code=code, failed=row is None, now=now.timestamp()
    )
    if row is None:
        raise not_found()
    return dossier_view(row, working_calendar(settings), now)


async def my_dossiers(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    *,
    cursor: Cursor | None,
    limit: int,
    now: datetime,
) -> Page[MyDossierSummary]:
    rows = await repository.my_dossiers(session, user_id, after=cursor, limit=fetch_limit(limit))
    calendar = working_calendar(settings)
    return keyset_page(
        rows,
        limit,
        sort=MY_SORT,
        position=lambda row: (row.received_at, row.id),
        item=lambda row: my_dossier_summary(row, calendar, now),
    )


async def my_dossier(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID, code: str, *, now: datetime
) -> MyDossierView:
    row = await repository.my_view(session, user_id, code)
    if row is None:
        raise not_found()
    return my_dossier_view(row, working_calendar(settings), now)


async def follow(
    session: AsyncSession,
    redis: Redis,
    settings: Settings,
    user_id: uuid.UUID,
    *,
    code: str,
    factor: str | None,
    client_ip: str,
    now: datetime,
) -> tuple[MyDossierView, bool]:
    """Follow a dossier linked to her, or any dossier whose second factor she gives (limited as the
    lookup is); returns her view and whether the follow is new."""
    hashed = suffix_hash(settings, code, factor) if factor is not None else None
    row = await repository.my_view_or_by_factor(session, user_id, code, factor, hashed)
    await limits.settle(
        redis, settings, client_ip=client_ip, code=code, failed=row is None, now=now.timestamp()
    )
    if row is None:
        raise not_found()
    created = await repository.follow(session, row.id, user_id)
    return my_dossier_view(row, working_calendar(settings), now, following=True), created


async def unfollow(session: AsyncSession, user_id: uuid.UUID, code: str) -> None:
    if not await repository.unfollow(session, code, user_id):
        raise not_found()


async def rate(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    code: str,
    *,
    rating: Rating,
    comment: str | None,
    now: datetime,
) -> MyDossierView:
    """Her rating of a dossier linked to her or followed, once its result was returned; once per dossier."""
    row = await repository.my_view(session, user_id, code)
    if row is None:
        raise not_found()
    if row.status != Status.RESULT_RETURNED:
        raise ProblemError(
            409,
            "not_returned",
            Message(
                "Chỉ đánh giá được sau khi đã nhận kết quả",
                "A dossier can be rated once its result is returned",
            ),
        )
    if (
        await repository.add_rating(session, row.id, user_id, str(rating), (comment or "").strip() or None)
        is None
    ):
        raise ProblemError(
            409,
            "already_rated",
            Message("Hồ sơ này đã được đánh giá", "This dossier has already been rated"),
        )
    return await my_dossier(session, settings, user_id, code, now=now)
