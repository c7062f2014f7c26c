"""All SQL of push: device tokens, notifications (claimed with FOR UPDATE SKIP LOCKED), the push outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    not_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.models import User
from core.push.models import (
    DeviceToken,
    Notification,
    NotificationStatus,
    Platform,
    PushLanguage,
    PushOutboxMessage,
    TargetKind,
)
from core.units.models import AdminUnit, UnitLevel

# The dispatchers LISTEN here; queuing notifications NOTIFYs, which PostgreSQL delivers when (and only if) the
# transaction commits, so a notification is claimed within milliseconds of its commit instead of at the next
# poll.
NOTIFY_CHANNEL = "smartcity_push"

devices: Table = DeviceToken.metadata.tables["device_tokens"]
notifications: Table = Notification.metadata.tables["notifications"]
outbox: Table = PushOutboxMessage.metadata.tables["push_outbox"]
users: Table = User.metadata.tables["users"]
units: Table = AdminUnit.metadata.tables["admin_units"]


@dataclass(frozen=True, slots=True)
class Device:
    id: uuid.UUID
    user_id: uuid.UUID
    device_id: str
    token: str
    platform: Platform
    language: PushLanguage
    created_at: datetime
    last_seen_at: datetime
    wards: list[str]


def _device(row: Any) -> Device:
    return Device(
        id=row.id,
        user_id=row.user_id,
        device_id=row.device_id,
        token=row.token,
        platform=Platform(row.platform),
        language=PushLanguage(row.language),
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        wards=list(row.wards),
    )


async def user_can_receive(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """The account exists and is neither deactivated nor deleted."""
    found = await session.scalar(
        select(users.c.id).where(users.c.id == user_id, users.c.is_active, users.c.deleted_at.is_(None))
    )
    return found is not None


async def upsert_device(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    device_id: str,
    token: str,
    platform: Platform,
    language: PushLanguage,
    max_devices: int,
    wards: Sequence[str] | None = None,
) -> tuple[Device, bool]:
    """Register or update (user_id, device_id); returns the device and whether it is new. `wards` None
    keeps the wards a registered device has (a new one gets none).

    A token already held by another user or device is taken from it: the token addresses one installation,
    and that installation now belongs here. The other row is deleted (not moved), so its pending
    notifications are dropped instead of reaching a new owner.
    """
    await session.execute(
        delete(devices).where(
            devices.c.token == token,
            not_(and_(devices.c.user_id == user_id, devices.c.device_id == device_id)),
        )
    )
    # clock_timestamp(), not now(): several registrations in one transaction still order by time.
    values = insert(devices).values(
        user_id=user_id,
        device_id=device_id,
        token=token,
        platform=platform,
        language=language,
        wards=list(wards or ()),
        created_at=func.clock_timestamp(),
        last_seen_at=func.clock_timestamp(),
    )
    changes: dict[str, Any] = {
        "token": values.excluded.token,
        "platform": values.excluded.platform,
        "language": values.excluded.language,
        "last_seen_at": func.clock_timestamp(),
    }
    if wards is not None:
        changes["wards"] = values.excluded.wards
    upsert = values.on_conflict_do_update(
        index_elements=[devices.c.user_id, devices.c.device_id], set_=changes
    ).returning(*devices.c, literal_column("xmax = 0").label("inserted"))  # xmax 0: no old row version
    row = (await session.execute(upsert)).one()
    # Past the limit the least recently seen devices go: old phones never unregister themselves.
    keep = (
        select(devices.c.id)
        .where(devices.c.user_id == user_id)
        .order_by(devices.c.last_seen_at.desc(), devices.c.created_at.desc())
        .limit(max_devices)
    )
    await session.execute(
        delete(devices).where(devices.c.user_id == user_id, devices.c.id != row.id, devices.c.id.not_in(keep))
    )
    return _device(row), bool(row.inserted)


async def delete_device(session: AsyncSession, *, user_id: uuid.UUID, device_id: str) -> bool:
    result = await session.execute(
        delete(devices)
        .where(devices.c.user_id == user_id, devices.c.device_id == device_id)
        .returning(devices.c.id)
    )
    return result.first() is not None


async def delete_user_devices(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Forget every device of a user (account deletion)."""
    result = await session.execute(delete(devices).where(devices.c.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def list_devices(session: AsyncSession, user_id: uuid.UUID) -> list[Device]:
    rows = await session.execute(
        select(devices)
        .where(devices.c.user_id == user_id)
        .order_by(devices.c.created_at, devices.c.device_id)
    )
    return [_device(row) for row in rows]


async def delete_tokens(session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, str]]) -> int:
    """Delete device rows by (id, token): a row whose token changed since it was read keeps its new token."""
    if not pairs:
        return 0
    result = await session.execute(
        delete(devices).where(tuple_(devices.c.id, devices.c.token).in_(list(pairs))).returning(devices.c.id)
    )
    return len(result.all())


async def known_wards(session: AsyncSession, codes: Sequence[str]) -> set[str]:
    """The codes among `codes` that are stored wards."""
    found = await session.scalars(
        select(units.c.code).where(units.c.level == UnitLevel.WARD, units.c.code.in_(list(codes)))
    )
    return set(found)


async def add_notifications_for_wards(
    session: AsyncSession, ward_codes: Sequence[str], content: dict[str, Any]
) -> int:
    """One notification per phone following any of `ward_codes`, whose account can receive, in one
    statement (INSERT ... SELECT over the GIN index on wards); returns how many were queued."""
    if not ward_codes:
        return 0
    following = (
        select(
            literal(TargetKind.TOKEN, notifications.c.target_kind.type),
            devices.c.user_id,
            devices.c.id,
            *(literal(value, notifications.c[name].type) for name, value in content.items()),
        )
        .select_from(devices.join(users, users.c.id == devices.c.user_id))
        .where(
            devices.c.wards.overlap(cast(list(ward_codes), devices.c.wards.type)),
            users.c.is_active,
            users.c.deleted_at.is_(None),
        )
    )
    result = await session.execute(
        insert(notifications).from_select(["target_kind", "user_id", "device_token_id", *content], following)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def add_notifications(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    if not rows:
        return []
    result = await session.execute(
        insert(notifications).returning(notifications.c.id, sort_by_parameter_order=True), list(rows)
    )
    ids = list(result.scalars())
    # Dropped rows (no phone) need no dispatcher; one wake-up per transaction is enough, as PostgreSQL folds
    # identical notifications of a transaction into one.
    if any(row.get("status", NotificationStatus.PENDING) == NotificationStatus.PENDING for row in rows):
        await session.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))
    return ids


@dataclass(frozen=True, slots=True)
class Claimed:
    """A notification taken by one dispatcher, with the device it goes to (if any is left)."""

    id: uuid.UUID
    target_kind: TargetKind
    user_id: uuid.UUID | None
    topic: str | None
    language: PushLanguage | None
    title_vi: str
    title_en: str
    body_vi: str
    body_en: str
    data: dict[str, str]
    high_priority: bool
    attempts: int
    device: Device | None


async def claim_due(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> list[Claimed]:
    """Take up to `limit` due pending notifications: attempts + 1 and hidden until `lease_until`.

    SKIP LOCKED lets several dispatchers claim side by side; the lease means a dispatcher that dies while
    sending leaves its rows to be claimed again once it expires (at-least-once delivery).
    """
    due = (
        select(notifications.c.id)
        .where(
            notifications.c.status == NotificationStatus.PENDING.value,
            notifications.c.next_attempt_at <= now,
        )
        .order_by(notifications.c.next_attempt_at, notifications.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        await session.execute(
            update(notifications)
            .where(notifications.c.id.in_(due))
            .values(attempts=notifications.c.attempts + 1, next_attempt_at=lease_until)
            .returning(*notifications.c)
        )
    ).all()
    device_ids = {row.device_token_id for row in claimed if row.device_token_id is not None}
    found: dict[uuid.UUID, Device] = {}
    if device_ids:
        found = {
            row.id: _device(row)
            for row in await session.execute(select(devices).where(devices.c.id.in_(device_ids)))
        }
    return [
        Claimed(
            id=row.id,
            target_kind=TargetKind(row.target_kind),
            user_id=row.user_id,
            topic=row.topic,
            language=PushLanguage(row.language) if row.language is not None else None,
            title_vi=row.title_vi,
            title_en=row.title_en,
            body_vi=row.body_vi,
            body_en=row.body_en,
            data=dict(row.data),
            high_priority=row.high_priority,
            attempts=row.attempts,
            device=found.get(row.device_token_id) if row.device_token_id is not None else None,
        )
        for row in sorted(claimed, key=lambda r: r.created_at)
    ]


@dataclass(frozen=True, slots=True)
class Result:
    id: uuid.UUID
    # The attempts value the claim set: a row re-claimed by another dispatcher (lease expired) is not touched.
    attempts: int
    status: NotificationStatus
    next_attempt_at: datetime
    last_error: str | None = None
    message_id: str | None = None
    sent_at: datetime | None = None


async def record_results(session: AsyncSession, results: Sequence[Result]) -> None:
    if not results:
        return
    statement = (
        update(notifications)
        .where(
            notifications.c.id == bindparam("b_id"),
            notifications.c.attempts == bindparam("b_attempts"),
            notifications.c.status == NotificationStatus.PENDING.value,
        )
        .values(
            status=bindparam("b_status"),
            next_attempt_at=bindparam("b_next_attempt_at"),
            last_error=bindparam("b_last_error"),
            message_id=bindparam("b_message_id"),
            sent_at=bindparam("b_sent_at"),
        )
    )
    await session.execute(
        statement,
        [
            {
                "b_id": r.id,
                "b_attempts": r.attempts,
                "b_status": r.status,
                "b_next_attempt_at": r.next_attempt_at,
                "b_last_error": r.last_error[:500] if r.last_error else None,
                "b_message_id": r.message_id,
                "b_sent_at": r.sent_at,
            }
            for r in results
        ],
    )


async def add_outbox_messages(
    session: AsyncSession, rows: Sequence[tuple[uuid.UUID, str | None, str | None, dict[str, Any]]]
) -> list[uuid.UUID]:
    result = await session.execute(
        insert(outbox).returning(outbox.c.id, sort_by_parameter_order=True),
        [
            {"notification_id": n, "token": token, "topic": topic, "payload": payload}
            for n, token, topic, payload in rows
        ],
    )
    return list(result.scalars())
