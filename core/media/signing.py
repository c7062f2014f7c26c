"""Signed media URLs: the signature is the capability to fetch a photo or a camera snapshot.

A URL is `{prefix}/{key}?exp=E&sig=S`: S is an HMAC-SHA256 over the key and E, with a key derived from the
secret key under its own label (so a media signature can never serve as any other token of the product),
base64url and truncated to 22 characters (132 bits: far beyond guessing, short enough for a feed).

- E = 0 means "never expires": the photos of public reports, which anyone may see and any cache may keep.
- Otherwise E is a Unix time rounded up to the next full hour, plus one hour: every URL handed out within the
  same hour is the same URL, so a client's cache still works, and it stays valid between one and two hours.
  Private reports' photos, uploads not yet attached and camera snapshots get these.

Verification is pure and constant-time; a missing, tampered or expired signature is refused the same way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlencode

from core.settings import Settings

NEVER: Final = 0
WINDOW_SECONDS: Final = 3600
SIGNATURE_LENGTH: Final = 22
_LABEL: Final = b"smartcity media url v1"


def derive_key(secret_key: str) -> bytes:
    """The media signing key: derived from the secret key, never the secret key itself."""
    return hmac.new(secret_key.encode(), _LABEL, hashlib.sha256).digest()


def signature(signing_key: bytes, media_key: str, expires: int) -> str:
    mac = hmac.new(signing_key, f"{media_key}\n{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:SIGNATURE_LENGTH]


def private_expiry(now: datetime) -> int:
    """The end of the next full hour after `now`: one URL per window, valid for one to two hours."""
    seconds = int(now.timestamp())
    return (seconds // WINDOW_SECONDS + 2) * WINDOW_SECONDS


def verify(signing_key: bytes, media_key: str, expires: int, given: str, now: datetime) -> bool:
    """True when `given` signs (media_key, expires) and `expires` is NEVER or still ahead of `now`."""
    expected = signature(signing_key, media_key, expires)
    valid = hmac.compare_digest(expected.encode(), given.encode())
    return valid and (expires == NEVER or expires > now.timestamp())


def seconds_left(expires: int, now: datetime) -> int:
    return max(0, expires - int(now.timestamp()))


@dataclass(frozen=True, slots=True)
class MediaUrls:
    """Builds the signed URL of a stored blob; one per request, from the settings."""

    prefix: str
    signing_key: bytes

    def url(self, media_key: str, *, public: bool, now: datetime | None = None) -> str:
        expires = NEVER if public else private_expiry(now or datetime.now(UTC))
        return self.url_until(media_key, expires)

    def url_until(self, media_key: str, expires: int) -> str:
        query = urlencode({"exp": expires, "sig": signature(self.signing_key, media_key, expires)})
        return f"{self.prefix.rstrip('/')}/{media_key}?{query}"


def media_urls(settings: Settings) -> MediaUrls:
    return MediaUrls(settings.media_url_prefix, derive_key(settings.secret_key.get_secret_value()))
