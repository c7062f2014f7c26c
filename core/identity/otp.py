"""One-time sign-in codes: six random digits, stored only as a keyed hash.

A plain hash of a six-digit code is no protection: all million codes can be hashed in a moment. Keyed with the
server's secret (HMAC-SHA256), a copy of the database alone does not reveal codes. The phone is part of the
hashed message, so a hash is worthless for any other number.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_DIGITS = 6


def generate_code() -> str:
    # secrets, not random: codes must not be predictable from earlier ones.
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(secret_key: str, phone: str, code: str) -> str:
    return hmac.new(secret_key.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(secret_key: str, phone: str, code: str, stored_hash: str) -> bool:
    # compare_digest: the comparison takes as long whichever character differs.
    return hmac.compare_digest(hash_code(secret_key, phone, code), stored_hash)
