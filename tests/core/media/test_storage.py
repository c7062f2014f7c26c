"""Local media storage: content-addressed keys, atomic idempotent writes, no escape from the root."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from core.media.storage import (
    InvalidMediaKeyError,
    LocalMediaStorage,
    MediaNotFoundError,
    MediaStorage,
    delete_async,
    get_async,
    put_async,
)

DATA = b"\xff\xd8\xff pretend jpeg bytes"
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def storage(tmp_path: Path) -> LocalMediaStorage:
    return LocalMediaStorage(tmp_path / "media")


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_local_storage_satisfies_the_protocol(storage: LocalMediaStorage) -> None:
    assert isinstance(storage, MediaStorage)


def test_round_trip_with_sharded_content_address(storage: LocalMediaStorage) -> None:
    key = storage.put(DATA, "image/jpeg")
    assert key == f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg"
    assert (storage.root / key).read_bytes() == DATA
    assert storage.get(key) == DATA
    assert storage.url_path(key) == f"/media/{key}"


def test_extension_follows_content_type(storage: LocalMediaStorage) -> None:
    assert storage.put(DATA, "image/png").endswith(".png")
    assert storage.put(DATA, "image/webp").endswith(".webp")
    with pytest.raises(ValueError, match="not stored"):
        storage.put(DATA, "text/html")


def test_put_is_idempotent(storage: LocalMediaStorage) -> None:
    first = storage.put(DATA, "image/jpeg")
    modified = (storage.root / first).stat().st_mtime_ns
    second = storage.put(DATA, "image/jpeg")
    assert first == second
    assert (storage.root / first).stat().st_mtime_ns == modified
    assert _files(storage.root) == [storage.root / first]


def test_failed_write_leaves_nothing_behind(
    storage: LocalMediaStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        storage.put(DATA, "image/jpeg")
    # Neither a partial blob under the key nor a stray temporary file.
    assert _files(storage.root) == []


def test_written_file_is_readable_by_other_users(storage: LocalMediaStorage) -> None:
    key = storage.put(DATA, "image/jpeg")
    assert (storage.root / key).stat().st_mode & 0o777 == 0o644


def test_missing_blob(storage: LocalMediaStorage) -> None:
    key = f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg"
    with pytest.raises(MediaNotFoundError):
        storage.get(key)
    storage.delete(key)  # deleting what is not there is fine


def test_delete(storage: LocalMediaStorage) -> None:
    key = storage.put(DATA, "image/jpeg")
    storage.delete(key)
    with pytest.raises(MediaNotFoundError):
        storage.get(key)
    storage.delete(key)


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "/etc/passwd",
        f"{DIGEST[:2]}/{DIGEST[2:4]}/../../../{DIGEST}.jpg",
        f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg/../../x",
        f"ff/ff/{DIGEST}.jpg" if not DIGEST.startswith("ffff") else f"00/00/{DIGEST}.jpg",
        f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST.upper()}.jpg",
        f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.html",
        f"{DIGEST[:2]}\\{DIGEST[2:4]}\\{DIGEST}.jpg",
        f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg\x00",
        "",
    ],
)
def test_keys_that_could_escape_the_root_are_refused(storage: LocalMediaStorage, key: str) -> None:
    with pytest.raises(InvalidMediaKeyError):
        storage.get(key)
    with pytest.raises(InvalidMediaKeyError):
        storage.delete(key)
    with pytest.raises(InvalidMediaKeyError):
        storage.url_path(key)


def test_symlinked_shard_leading_outside_is_refused(tmp_path: Path, storage: LocalMediaStorage) -> None:
    outside = tmp_path / "outside"
    (outside / DIGEST[2:4]).mkdir(parents=True)
    (outside / DIGEST[2:4] / f"{DIGEST}.jpg").write_bytes(b"secret")
    storage.root.mkdir(parents=True)
    (storage.root / DIGEST[:2]).symlink_to(outside)
    with pytest.raises(InvalidMediaKeyError):
        storage.get(f"{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg")
    with pytest.raises(InvalidMediaKeyError):
        storage.put(DATA, "image/jpeg")


async def test_async_wrappers(storage: LocalMediaStorage) -> None:
    key = await put_async(storage, DATA, "image/jpeg")
    assert await get_async(storage, key) == DATA
    await delete_async(storage, key)
    with pytest.raises(MediaNotFoundError):
        await get_async(storage, key)
