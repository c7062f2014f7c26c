"""All SQL of identity: accounts, sign-in codes, the SMS outbox, refresh tokens, API keys, unit lookups.

The sessions this module is given run with autoflush off, so every write is flushed here: the caller sees
constraint violations where it made the change, not at commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.identity.models import ApiKey, OtpChallenge, RefreshToken, SmsMessage, User
from core.identity.principal import Role
from core.units.models import AdminUnit

# last_used_at of an API key is written at most this often: an integration calling many times a second
# would otherwise turn every read into a write.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


class DuplicateError(Exception):
    """A unique constraint refused the row (e.g. a username or phone already taken)."""


# Accounts ---------------------------------------------------------------------------------------------------


async def get_user(session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
    statement = select(User).where(col(User.id) == user_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def get_user_by_phone(session: AsyncSession, phone: str) -> User | None:
    statement = select(User).where(col(User.phone) == phone)
    return (await session.execute(statement)).scalar_one_or_none()


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    statement = select(User).where(col(User.username) == username)
    return (await session.execute(statement)).scalar_one_or_none()


async def add_user(session: AsyncSession, user: User) -> User:
    """Insert a user; DuplicateError when the phone or username is taken (the session stays usable)."""
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError as exc:
        raise DuplicateError(str(exc.orig)) from exc
    return user


async def save_user(session: AsyncSession, user: User, now: datetime) -> None:
    user.updated_at = now
    session.add(user)
    await session.flush()


async def list_staff(session: AsyncSession) -> Sequence[User]:
    statement = (
        select(User)
        .where(col(User.role) != Role.CITIZEN, col(User.deleted_at).is_(None))
        .order_by(col(User.username))
    )
    return (await session.execute(statement)).scalars().all()


async def staff_ids_covering(
    session: AsyncSession, unit_code: str, roles: Collection[Role]
) -> list[uuid.UUID]:
    """Active staff of `roles` whose unit is `unit_code` or the province above it, oldest account first."""
    parent = select(col(AdminUnit.parent_code)).where(col(AdminUnit.code) == unit_code).scalar_subquery()
    statement = (
        select(col(User.id))
        .where(
            col(User.role).in_([role.value for role in roles]),
            col(User.is_active),
            col(User.deleted_at).is_(None),
            or_(col(User.unit_code) == unit_code, col(User.unit_code) == parent),
        )
        .order_by(col(User.created_at), col(User.id))
    )
    return list((await session.execute(statement)).scalars().all())


# Administrative units ---------------------------------------------------------------------------------------


async def unit_exists(session: AsyncSession, code: str) -> bool:
    found = await session.scalar(select(exists().where(col(AdminUnit.code) == code)))
    return bool(found)


async def child_unit_codes(session: AsyncSession, code: str) -> list[str]:
    """The codes of the units whose parent is `code` (the wards of a province; none for a ward)."""
    statement = select(col(AdminUnit.code)).where(col(AdminUnit.parent_code) == code)
    return list((await session.execute(statement)).scalars().all())


# Sign-in codes and the SMS outbox ---------------------------------------------------------------------------


async def add_challenge(session: AsyncSession, challenge: OtpChallenge) -> OtpChallenge:
    session.add(challenge)
    await session.flush()
    return challenge


async def latest_challenge(session: AsyncSession, phone: str) -> OtpChallenge | None:
    """The newest challenge of `phone`, locked: two answers to one code are judged one after the other."""
    statement = (
        select(OtpChallenge)
        .where(col(OtpChallenge.phone) == phone)
        .order_by(col(OtpChallenge.created_at).desc())
        .limit(1)
        .with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def live_challenges(
    session: AsyncSession, phone: str, *, now: datetime, max_attempts: int, limit: int
) -> Sequence[OtpChallenge]:
    """The newest `limit` codes of `phone` still usable (not used, not expired, tries left), locked like
    latest_challenge."""
    statement = (
        select(OtpChallenge)
        .where(
            col(OtpChallenge.phone) == phone,
            col(OtpChallenge.consumed_at).is_(None),
            col(OtpChallenge.expires_at) > now,
            col(OtpChallenge.attempts) < max_attempts,
        )
        .order_by(col(OtpChallenge.created_at).desc())
        .limit(limit)
        .with_for_update()
    )
    return (await session.execute(statement)).scalars().all()


async def count_failed_attempt(session: AsyncSession, challenge: OtpChallenge) -> int:
    challenge.attempts += 1
    session.add(challenge)
    await session.flush()
    return challenge.attempts


async def consume_challenge(session: AsyncSession, challenge: OtpChallenge, now: datetime) -> None:
    challenge.consumed_at = now
    session.add(challenge)
    await session.flush()


async def challenges_for_phone(session: AsyncSession, phone: str) -> Sequence[OtpChallenge]:
    statement = (
        select(OtpChallenge).where(col(OtpChallenge.phone) == phone).order_by(col(OtpChallenge.created_at))
    )
    return (await session.execute(statement)).scalars().all()


async def add_sms(session: AsyncSession, message: SmsMessage) -> SmsMessage:
    session.add(message)
    await session.flush()
    return message


async def sms_for_phone(session: AsyncSession, phone: str) -> Sequence[SmsMessage]:
    statement = select(SmsMessage).where(col(SmsMessage.phone) == phone).order_by(col(SmsMessage.created_at))
    return (await session.execute(statement)).scalars().all()


async def forget_phone(session: AsyncSession, phone: str) -> None:
    """Delete the sign-in codes and text messages of a phone number (part of deleting an account)."""
    await session.execute(delete(OtpChallenge).where(col(OtpChallenge.phone) == phone))
    await session.execute(delete(SmsMessage).where(col(SmsMessage.phone) == phone))


# Refresh tokens ---------------------------------------------------------------------------------------------


async def add_refresh_token(session: AsyncSession, token: RefreshToken) -> RefreshToken:
    session.add(token)
    await session.flush()
    return token


async def refresh_token_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The token with this hash, locked, so that two concurrent uses of one token cannot both rotate it."""
    statement = select(RefreshToken).where(col(RefreshToken.token_hash) == token_hash).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def mark_rotated(session: AsyncSession, token: RefreshToken, now: datetime) -> None:
    token.rotated_at = now
    session.add(token)
    await session.flush()


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> int:
    """Revoke every live token of a family; returns how many were revoked."""
    result = await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def revoke_user_tokens(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def refresh_tokens_of(session: AsyncSession, user_id: uuid.UUID) -> Sequence[RefreshToken]:
    statement = (
        select(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id)
        .order_by(col(RefreshToken.created_at))
    )
    return (await session.execute(statement)).scalars().all()


# API keys ---------------------------------------------------------------------------------------------------


async def add_api_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    session.add(key)
    await session.flush()
    return key


async def get_api_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    return await session.get(ApiKey, key_id)


async def live_api_key_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    statement = select(ApiKey).where(col(ApiKey.key_hash) == key_hash, col(ApiKey.revoked_at).is_(None))
    return (await session.execute(statement)).scalar_one_or_none()


async def list_api_keys(session: AsyncSession) -> Sequence[ApiKey]:
    statement = select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.name))
    return (await session.execute(statement)).scalars().all()


async def touch_api_key(session: AsyncSession, key: ApiKey, now: datetime) -> None:
    if key.last_used_at is not None and now - key.last_used_at < API_KEY_TOUCH_INTERVAL:
        return
    key.last_used_at = now
    session.add(key)
    await session.flush()


async def revoke_api_key(session: AsyncSession, key: ApiKey, now: datetime) -> None:
    if key.revoked_at is None:
        key.revoked_at = now
        session.add(key)
        await session.flush()
