"""Where sanitised photos live: content-addressed blobs behind a small storage interface.

Keys are `ab/cd/<sha256>.<ext>`: the hash makes a put idempotent (the same photo uploaded twice is stored
once) and lets a key be checked against a strict pattern, so no caller-supplied key can reach
outside the root.
The two shard levels keep any one directory small enough for ordinary filesystems and backup tools.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

from core.settings import Settings

DEFAULT_URL_PREFIX: Final = "/media"

EXTENSIONS: Final[dict[str, str]] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_KEY_PATTERN: Final = re.compile(
    r"(?P<a>[0-9a-f]{2})/(?P<b>[0-9a-f]{2})/(?P<digest>[0-9a-f]{64})\.(?:jpg|png|webp)"
)


class InvalidMediaKeyError(ValueError):
    """A key that this storage never issued (malformed, or trying to leave the root)."""


class MediaNotFoundError(LookupError):
    """No blob under this key."""


@runtime_checkable
class MediaStorage(Protocol):
    def put(self, data: bytes, content_type: str) -> str:
        """Store `data` and return its key; storing the same bytes again returns the same key."""
        ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""
        ...

    def url_path(self, key: str) -> str:
        """The path under which the API or a web server serves the blob."""
        ...


def make_key(data: bytes, content_type: str) -> str:
    extension = EXTENSIONS.get(content_type)
    if extension is None:
        raise ValueError(f"content type {content_type!r} is not stored")
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}.{extension}"


def check_key(key: str) -> str:
    match = _KEY_PATTERN.fullmatch(key)
    if match is None or match["digest"][:2] != match["a"] or match["digest"][2:4] != match["b"]:
        raise InvalidMediaKeyError(f"invalid media key {key!r}")
    return key


class LocalMediaStorage:
    """Blobs in a folder on local disk."""

    def __init__(self, root: Path | str, *, url_prefix: str = DEFAULT_URL_PREFIX) -> None:
        self.root = Path(root).resolve()
        self.url_prefix = url_prefix.rstrip("/")

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        # The key pattern already forbids escaping; this also catches a symlinked shard pointing elsewhere.
        if not path.is_relative_to(self.root):
            raise InvalidMediaKeyError(f"media key {key!r} leaves the storage root")
        return path

    def put(self, data: bytes, content_type: str) -> str:
        key = make_key(data, content_type)
        path = self._path(key)
        if path.is_file():
            # Same key means same bytes: nothing to write.
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename: readers see either no file or the whole file, never a partial
        # one, even if the process dies mid-write.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp creates 0600; a web server running as another user must be able to read the blob.
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise MediaNotFoundError(key) from exc

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def url_path(self, key: str) -> str:
        return f"{self.url_prefix}/{check_key(key)}"


# Disk IO blocks; routes call these so the event loop keeps serving other requests meanwhile.
async def put_async(storage: MediaStorage, data: bytes, content_type: str) -> str:
    return await asyncio.to_thread(storage.put, data, content_type)


async def get_async(storage: MediaStorage, key: str) -> bytes:
    return await asyncio.to_thread(storage.get, key)


async def delete_async(storage: MediaStorage, key: str) -> None:
    await asyncio.to_thread(storage.delete, key)


def media_storage(settings: Settings) -> MediaStorage:
    """The storage the settings name: local files under media_root, served under media_url_prefix."""
    return LocalMediaStorage(settings.media_root, url_prefix=settings.media_url_prefix)
