"""Idempotency-Key for submissions: a phone that retries after a lost answer gets the same report back.

Two identical requests may race (a double tap, a retry while the first is still running). Both take a
transaction-level advisory lock on a hash of (owner, key) before looking the key up: the second waits until
the first has committed or rolled back, then finds its key (and replays) or finds nothing (and submits).
The lookup is a separate statement after the lock on purpose: under READ COMMITTED a statement sees the
rows committed before it started, so a lookup in the same statement as the lock could miss the winner's row.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from feedback.submission import repository


@dataclass(frozen=True, slots=True)
class Idempotency:
    """The caller's key and what identifies its request. `owner` is "user:<id>" or "api_key:<id>"."""

    owner: str
    key: str
    request_hash: str


def user_owner(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def api_key_owner(key_id: uuid.UUID) -> str:
    return f"api_key:{key_id}"


def request_hash(canonical: Mapping[str, Any], *, photo_digests: Iterable[str] = ()) -> str:
    """sha256 of a canonical JSON form of the request (sorted keys, no spacing) and its photos' hashes, in
    order: the same submission hashes the same whatever the JSON's spacing or key order."""
    document = {"request": canonical, "photos": list(photo_digests)}
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def lock_id(owner: str, key: str) -> int:
    """A signed 64-bit number for pg_advisory_xact_lock from the owner and the key (a space cannot occur in
    either, so it separates them unambiguously)."""
    digest = hashlib.sha256(f"idempotency {owner} {key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def key_reused() -> ProblemError:
    return ProblemError(
        422,
        "idempotency_key_reused",
        Message(
            "Idempotency-Key này đã được dùng cho một phản ánh có nội dung khác",
            "This Idempotency-Key was already used for a different submission",
        ),
    )


async def claim(session: AsyncSession, idempotency: Idempotency) -> uuid.UUID | None:
    """Serialise on the key and look it up: the report it already made (same request), or None when the
    key is new. 422 idempotency_key_reused when it was used for another request. The lock is held until
    the caller's transaction ends, so the caller must record the key in the same transaction."""
    await repository.lock_key(session, lock_id(idempotency.owner, idempotency.key))
    row = await repository.find_key(session, idempotency.owner, idempotency.key)
    if row is None:
        return None
    if row.request_hash != idempotency.request_hash:
        raise key_reused()
    report_id: uuid.UUID = row.report_id
    return report_id


async def remember(session: AsyncSession, idempotency: Idempotency, report_id: uuid.UUID) -> None:
    await repository.insert_key(
        session,
        owner=idempotency.owner,
        key=idempotency.key,
        request_hash=idempotency.request_hash,
        report_id=report_id,
    )
