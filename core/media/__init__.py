"""Citizen and field-staff photos: validation, metadata stripping, thumbnails and storage."""

from core.media.decoding import DecodePool, DecoderBusyError, decode_pool
from core.media.images import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    THUMBNAIL_LONG_SIDE,
    ImageInfo,
    MediaRejectedError,
    ProcessedImage,
    inspect,
    sanitise,
    sanitise_async,
)
from core.media.storage import (
    InvalidMediaKeyError,
    LocalMediaStorage,
    MediaNotFoundError,
    MediaStorage,
    delete_async,
    get_async,
    media_storage,
    put_async,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "THUMBNAIL_LONG_SIDE",
    "DecodePool",
    "DecoderBusyError",
    "ImageInfo",
    "InvalidMediaKeyError",
    "LocalMediaStorage",
    "MediaNotFoundError",
    "MediaRejectedError",
    "MediaStorage",
    "ProcessedImage",
    "decode_pool",
    "delete_async",
    "get_async",
    "inspect",
    "media_storage",
    "put_async",
    "sanitise",
    "sanitise_async",
]
