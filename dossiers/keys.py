"""Keyed hashes of an applicant's national ID number and of the lookup's second factor.

We never keep an ID number in clear: a dossier carries HMAC-SHA256(key, number), which matches the same
number on a citizen's account and reveals nothing else. A plain SHA-256 would not do: there are only 10^12
twelve-digit numbers, so a leaked table of plain hashes is reversed by trying them all; without the key, a
leaked table of keyed hashes tells nothing.

The key is derived from `settings.secret_key` under a label of its own (one label per use), so neither hash
can ever pass for a token or a media signature. Rotating `secret_key` therefore breaks the matching: every
stored hash must be recomputed from the agencies' data (a full re-sync) before the old key is dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache
from typing import Final

from core.settings import Settings

_ID_LABEL: Final = b"smartcity dossier national id v1"
_SUFFIX_LABEL: Final = b"smartcity dossier code suffix v1"
# The old identity card has 9 digits, the citizen identity card (CCCD) 12.
ID_LENGTHS: Final = frozenset({9, 12})
SUFFIX_LENGTH: Final = 4
_SEPARATORS: Final = re.compile(r"[\s.\-]")


@lru_cache(maxsize=8)
def _derive(secret_key: str, label: bytes) -> bytes:
    # Cached: a sync batch hashes up to a thousand numbers under the same key.
    return hmac.new(secret_key.encode(), label, hashlib.sha256).digest()


def _mac(settings: Settings, label: bytes, message: str) -> str:
    key = _derive(settings.secret_key.get_secret_value(), label)
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def normalise_id(id_number: str) -> str:
    """The digits of an ID number, the separators people type (spaces, dots, dashes) dropped; ValueError
    for anything else or for a length other than 9 or 12 digits."""
    digits = _SEPARATORS.sub("", id_number)
    if not (digits.isascii() and digits.isdigit()) or len(digits) not in ID_LENGTHS:
        raise ValueError("an ID number has 9 or 12 digits")
    return digits


def id_hash(settings: Settings, id_number: str) -> str:
    """HMAC-SHA256 (hex) of the normalised ID number: the same number always gives the same hash."""
    return _mac(settings, _ID_LABEL, normalise_id(id_number))


def suffix_hash(settings: Settings, code: str, last4: str) -> str:
    """HMAC-SHA256 (hex) of a dossier code and four digits (of the applicant's ID number or phone).

    The code is part of the message so that the same four digits give a different hash on every dossier:
    nobody can tell from the table which dossiers share a suffix.
    """
    if len(last4) != SUFFIX_LENGTH or not (last4.isascii() and last4.isdigit()):
        raise ValueError("the second factor is four digits")
    return _mac(settings, _SUFFIX_LABEL, f"{code}\n{last4}")
