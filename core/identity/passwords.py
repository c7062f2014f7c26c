"""Staff credentials: the rules for usernames and passwords, and password hashes (Argon2id).

Hashing is deliberately slow (tens of milliseconds of CPU and 64 MiB), so it runs in a worker thread rather
than on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

logger = logging.getLogger("smartcity.identity")

# Long enough for any password manager, short enough that hashing it costs nothing unusual.
PASSWORD_MAX_LENGTH = 256
PASSWORD_MIN_LENGTH = 12
# Letters, digits, dots, dashes and underscores, 3 to 64 of them; stored in lower case.
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{2,63}$"

# argon2-cffi's defaults follow RFC 9106's recommended low-memory profile; check_needs_rehash upgrades stored
# hashes when these parameters are raised.
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    ok: bool
    # A new hash to store when the stored one used weaker parameters; None otherwise.
    new_hash: str | None = None


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Computed once, with the current parameters, from a password nobody knows.
    return _hasher.hash(secrets.token_urlsafe(32))


def _hash(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored_hash: str | None, password: str) -> PasswordCheck:
    if stored_hash is None:
        # Unknown usernames cost as much as known ones, so response times do not tell which names exist.
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        return PasswordCheck(ok=False)
    try:
        _hasher.verify(stored_hash, password)
    except VerifyMismatchError:
        return PasswordCheck(ok=False)
    except (VerificationError, InvalidHashError):
        logger.error("a stored password hash cannot be read")
        return PasswordCheck(ok=False)
    new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(stored_hash) else None
    return PasswordCheck(ok=True, new_hash=new_hash)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hash, password)


async def verify_password(stored_hash: str | None, password: str) -> PasswordCheck:
    """Whether `password` matches; with stored_hash None, a dummy verification that always fails."""
    return await asyncio.to_thread(_verify, stored_hash, password)
