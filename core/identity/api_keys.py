"""API keys for agency systems and integrations: created by admins, shown once, stored hashed, with scopes.

A key reads `sc_<prefix>_<secret>`: the prefix (8 hex characters) is stored in clear so that people can tell
keys apart in lists and logs; the secret is 32 random bytes. The database keeps the SHA-256 of the whole key.
A fast hash is right here, unlike for passwords: with 256 random bits there is nothing to guess, so slowing
down each guess buys nothing, while every call of an integration pays for the hash.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity import repository
from core.identity.models import ApiKey

logger = logging.getLogger("smartcity.identity")

HEADER = "X-API-Key"
# Every scope a key may carry, with what it allows. A route asks for one with
# core.http.policies.require_api_key.
SCOPES: Mapping[str, Message] = {
    "dossiers:sync": Message(
        "Đồng bộ hồ sơ thủ tục hành chính từ hệ thống một cửa của cơ quan",
        "Push administrative dossiers from an agency's one-stop system",
    ),
    "feedback:read": Message("Đọc phản ánh hiện trường", "Read citizen reports"),
    "open311:submit": Message(
        "Gửi phản ánh qua Open311 GeoReport v2", "Submit reports through Open311 GeoReport v2"
    ),
    "ops:read": Message(
        "Đọc số liệu vận hành (/metrics, chi tiết /ready)", "Read operations data (/metrics, /ready details)"
    ),
}

_KEY = re.compile(r"sc_([0-9a-f]{8})_([A-Za-z0-9_\-]{43})")


@dataclass(frozen=True, slots=True)
class ApiClient:
    """The integration calling, as identified by its key."""

    key_id: uuid.UUID
    name: str
    prefix: str
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: str  # shown once, never stored
    row: ApiKey


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh key and its prefix."""
    prefix = secrets.token_hex(4)
    return f"sc_{prefix}_{secrets.token_urlsafe(32)}", prefix


async def create_api_key(
    session: AsyncSession, *, name: str, scopes: Sequence[str], created_by: uuid.UUID, now: datetime
) -> CreatedKey:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    key, prefix = new_key()
    row = ApiKey(
        id=uuid.uuid4(),
        name=name,
        prefix=prefix,
        key_hash=hash_key(key),
        scopes=sorted(set(scopes)),
        created_by=created_by,
        created_at=now,
    )
    await repository.add_api_key(session, row)
    logger.info("API key created", extra={"api_key": prefix, "by": str(created_by), "scopes": row.scopes})
    return CreatedKey(key=key, row=row)


async def list_api_keys(session: AsyncSession) -> Sequence[ApiKey]:
    return await repository.list_api_keys(session)


async def revoke_api_key(session: AsyncSession, key_id: uuid.UUID, *, now: datetime) -> None:
    """Revoke a key (again is harmless); 404 not_found for an unknown id."""
    row = await repository.get_api_key(session, key_id)
    if row is None:
        raise ProblemError(
            404, "not_found", Message(f"Không có khóa API mã {key_id}", f"No API key has the id {key_id}")
        )
    await repository.revoke_api_key(session, row, now)
    logger.info("API key revoked", extra={"api_key": row.prefix})


def _refused(detail: Message) -> ProblemError:
    return ProblemError(401, "api_key_invalid", detail, headers={"WWW-Authenticate": HEADER})


async def verify_api_key(session: AsyncSession, presented: str | None, *, now: datetime) -> ApiClient:
    """The client of a live key (and its last use noted); 401 api_key_invalid otherwise."""
    if not presented:
        raise _refused(
            Message(f"Cần gửi khóa API trong header {HEADER}", f"Send the API key in the {HEADER} header")
        )
    match = _KEY.fullmatch(presented)
    row = await repository.live_api_key_by_hash(session, hash_key(presented)) if match else None
    if row is None:
        # Only the public prefix is logged, never what was sent.
        logger.warning("invalid API key", extra={"api_key": match.group(1) if match else None})
        raise _refused(Message("Khóa API không đúng hoặc đã bị thu hồi", "The API key is wrong or revoked"))
    await repository.touch_api_key(session, row, now)
    return ApiClient(key_id=row.id, name=row.name, prefix=row.prefix, scopes=frozenset(row.scopes))


def ensure_scope(client: ApiClient, scope: str) -> None:
    if scope not in client.scopes:
        logger.warning("API key used outside its scopes", extra={"api_key": client.prefix, "scope": scope})
        raise ProblemError(
            403,
            "insufficient_scope",
            Message(f"Khóa API này không có quyền {scope}", f"This API key lacks the scope {scope}"),
            extensions={"required_scope": scope},
        )
