"""Signed media URLs: a signature binds the key and the expiry; expired, tampered or foreign ones fail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from core.media.signing import NEVER, MediaUrls, derive_key, private_expiry, signature, verify

KEY = "ab/cd/abcd" + "0" * 60 + ".jpg"
NOW = datetime(2026, 3, 1, 10, 20, 30, tzinfo=UTC)


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_public_urls_never_expire_and_private_ones_end_with_the_next_hour() -> None:
    urls = MediaUrls("/media/", derive_key("s" * 40))
    public = urls.url(KEY, public=True, now=NOW)
    assert urlsplit(public).path == f"/media/{KEY}"
    assert _query(public)["exp"] == str(NEVER)
    private = _query(urls.url(KEY, public=False, now=NOW))
    assert int(private["exp"]) == int(datetime(2026, 3, 1, 12, tzinfo=UTC).timestamp())
    # The same URL within the window, so clients can cache it.
    assert urls.url(KEY, public=False, now=NOW + timedelta(minutes=39)) == urls.url(
        KEY, public=False, now=NOW
    )
    assert private_expiry(NOW + timedelta(minutes=40)) > int(private["exp"])


def test_verification_binds_key_expiry_and_secret() -> None:
    signing_key = derive_key("s" * 40)
    expires = private_expiry(NOW)
    good = signature(signing_key, KEY, expires)
    assert len(good) == 22
    assert verify(signing_key, KEY, expires, good, NOW)
    assert verify(signing_key, KEY, NEVER, signature(signing_key, KEY, NEVER), NOW + timedelta(days=9999))
    assert not verify(signing_key, KEY, expires, good, datetime.fromtimestamp(expires, UTC))
    assert not verify(signing_key, KEY, expires + 3600, good, NOW)
    assert not verify(signing_key, KEY.replace("0", "1", 1), expires, good, NOW)
    assert not verify(derive_key("t" * 40), KEY, expires, good, NOW)
    assert not verify(signing_key, KEY, expires, good[:-1] + ("A" if good[-1] != "A" else "B"), NOW)
    assert not verify(signing_key, KEY, expires, "", NOW)
    # The derived key is not the secret itself.
    assert derive_key("s" * 40) != ("s" * 40).encode()
