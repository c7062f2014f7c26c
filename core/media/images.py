"""Photo intake: recognise the real image type, refuse what we cannot safely keep, strip metadata, thumbnail.

Citizens attach photos of street problems. A phone photo carries EXIF, often with GPS coordinates of the
citizen's home, the camera serial and the capture time; none of it may be published with a report. So every
accepted photo is fully decoded and re-encoded from its pixels alone.

Decisions:
- The type is decided by the leading bytes only. The file name and the declared content type are ignored: they
  are written by the client and prove nothing.
- Stored formats: JPEG and HEIC become JPEG (browsers and the IOC wall cannot show HEIC); PNG stays PNG
  (screenshots and diagrams would blur in a lossy format); WebP stays WebP. Only the first frame of an
  animated image is kept.
- Colour: an embedded ICC profile (iPhones use Display P3) is applied to the pixels, converting them to sRGB,
  and then dropped, so the stored file carries no metadata at all and still shows the right colours. A profile
  that cannot be applied is dropped and the pixels are kept as they are.
- Orientation: the EXIF orientation is applied to the pixels before EXIF is dropped, so the photo still stands
  the right way up. HEIC keeps its rotation in the container, which libheif applies while decoding (and
  pillow-heif then resets the EXIF tag), so a HEIC photo is never rotated twice.
- Thumbnails: JPEG, at most THUMBNAIL_LONG_SIDE pixels on the long side, transparency flattened onto white;
  JPEG is the one format every phone and browser in use shows.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from io import BytesIO
from typing import Final, Literal

import pillow_heif
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from core.errors import Message
from core.media.decoding import DecodePool

ImageKind = Literal["jpeg", "png", "webp", "heic"]
RejectionCode = Literal[
    "not_an_image", "unsupported_image_type", "image_too_large", "image_dimensions_too_large", "image_corrupt"
]

# A 48 MP phone photo is 3-12 MB as HEIC or JPEG; 15 MB leaves room without inviting abuse.
DEFAULT_MAX_BYTES: Final = 15 * 1024 * 1024
# 8064 x 6048 (a 48 MP sensor) is 48.8 million pixels; anything above 50 million is not a phone photo.
DEFAULT_MAX_PIXELS: Final = 50_000_000
THUMBNAIL_LONG_SIDE: Final = 320
JPEG_QUALITY: Final = 85
WEBP_QUALITY: Final = 85
THUMBNAIL_QUALITY: Final = 80

CONTENT_TYPES: Final[dict[ImageKind, str]] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
}
# The type each accepted kind is stored as.
STORED_KIND: Final[dict[ImageKind, ImageKind]] = {
    "jpeg": "jpeg",
    "heic": "jpeg",
    "png": "png",
    "webp": "webp",
}
_PIL_FORMATS: Final[dict[ImageKind, str]] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF"}

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_HEIC_BRANDS: Final = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
# Generic HEIF brands: used by HEIC and AVIF alike, so the compatible brands decide.
_HEIF_BRANDS: Final = frozenset({b"mif1", b"msf1"})
_AVIF_BRANDS: Final = frozenset({b"avif", b"avis"})
# Image types we recognise but do not accept: refusing them with their own code tells the citizen what to fix.
_OTHER_IMAGE_MAGIC: Final = (
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\x00\x00\x01\x00",
    b"\xff\x0a",
    b"\x00\x00\x00\x0cJXL \r\n\x87\n",
    b"8BPS",
)

_MESSAGES: Final[dict[RejectionCode, Message]] = {
    "not_an_image": Message("Tệp gửi lên không phải là ảnh", "The file is not an image"),
    "unsupported_image_type": Message(
        "Định dạng ảnh không được hỗ trợ (chỉ nhận JPEG, PNG, HEIC, WebP)",
        "Unsupported image type (JPEG, PNG, HEIC and WebP are accepted)",
    ),
    "image_too_large": Message("Ảnh có dung lượng quá lớn", "The image file is too large"),
    "image_dimensions_too_large": Message("Kích thước ảnh quá lớn", "The image dimensions are too large"),
    "image_corrupt": Message("Ảnh bị hỏng hoặc không đọc được", "The image is damaged or cannot be read"),
}
# HTTP status a route should answer with for each refusal.
_STATUSES: Final[dict[RejectionCode, int]] = {
    "not_an_image": 415,
    "unsupported_image_type": 415,
    "image_too_large": 413,
    "image_dimensions_too_large": 422,
    "image_corrupt": 422,
}

# Registering twice is harmless; phones send HEIC, so the opener must exist before the first upload.
pillow_heif.register_heif_opener()
_SRGB: Final = ImageCms.createProfile("sRGB")


class MediaRejectedError(Exception):
    """An uploaded file that will not be stored; `code` is stable and part of the mobile contract."""

    def __init__(self, code: RejectionCode, *, reason: str | None = None) -> None:
        self.code: RejectionCode = code
        self.message: Message = _MESSAGES[code]
        self.status: int = _STATUSES[code]
        # Technical detail for the logs only; never shown to the citizen.
        self.reason = reason
        super().__init__(f"{code}: {reason or self.message.en}")


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What an upload really is, read from its header without decoding the pixels."""

    kind: ImageKind
    content_type: str
    width: int
    height: int
    size: int


@dataclass(frozen=True, slots=True)
class EncodedImage:
    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """The photo to store (no metadata), its thumbnail, and what was uploaded."""

    image: EncodedImage
    thumbnail: EncodedImage
    source: ImageInfo


def sniff(data: bytes) -> ImageKind:
    """The image kind from the leading bytes; refuses anything that is not an accepted image type."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return _sniff_heif(data)
    if data.startswith(_OTHER_IMAGE_MAGIC):
        raise MediaRejectedError("unsupported_image_type", reason="recognised but not accepted image type")
    raise MediaRejectedError("not_an_image", reason="no known image signature")


def _sniff_heif(data: bytes) -> ImageKind:
    box_size = int.from_bytes(data[:4], "big")
    major = data[8:12]
    # Compatible brands follow the major brand and the 4-byte minor version, up to the end of the ftyp box.
    end = min(box_size, len(data), 4096) if box_size >= 16 else 16
    compatible = {data[i : i + 4] for i in range(16, end - 3, 4)}
    brands = {major} | compatible
    generic_avif = major in _HEIF_BRANDS and brands & _AVIF_BRANDS and not brands & _HEIC_BRANDS
    if major in _AVIF_BRANDS or generic_avif:
        raise MediaRejectedError("unsupported_image_type", reason="AVIF")
    if major in _HEIC_BRANDS or major in _HEIF_BRANDS:
        return "heic"
    # Other ISO media files (MP4, QuickTime, 3GP) share the ftyp box.
    raise MediaRejectedError("not_an_image", reason=f"ISO media brand {major!r}")


def _open(data: bytes, kind: ImageKind, max_pixels: int) -> Image.Image:
    """Open lazily (header only) with the decoder for `kind`, refusing oversized dimensions."""
    try:
        image = Image.open(BytesIO(data), formats=[_PIL_FORMATS[kind]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning arrives here as an exception only when warnings are errors; otherwise the size check
        # below refuses the same image, because the limit never exceeds Pillow's.
        raise MediaRejectedError("image_dimensions_too_large", reason=str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaRejectedError("image_corrupt", reason=str(exc)) from exc
    limit = max_pixels if Image.MAX_IMAGE_PIXELS is None else min(max_pixels, Image.MAX_IMAGE_PIXELS)
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise MediaRejectedError("image_corrupt", reason="empty image")
    if width * height > limit:
        image.close()
        reason = f"{width}x{height} exceeds {limit} pixels"
        raise MediaRejectedError("image_dimensions_too_large", reason=reason)
    return image


def inspect(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ImageInfo:
    """Validate an upload cheaply: size, real type, dimensions. Pixels are not decoded."""
    if len(data) > max_bytes:
        # Before any parsing: an oversized upload costs nothing more than its bytes.
        raise MediaRejectedError("image_too_large", reason=f"{len(data)} bytes exceeds {max_bytes}")
    kind = sniff(data)
    with _open(data, kind, max_pixels) as image:
        return ImageInfo(kind, CONTENT_TYPES[kind], image.width, image.height, len(data))


def sanitise(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    thumbnail_long_side: int = THUMBNAIL_LONG_SIDE,
) -> ProcessedImage:
    """Decode fully, apply orientation and colour profile, re-encode without metadata, and thumbnail."""
    info = inspect(data, max_bytes=max_bytes, max_pixels=max_pixels)
    with _open(data, info.kind, max_pixels) as image:
        try:
            image.load()
            icc_profile = image.info.get("icc_profile")
            oriented = ImageOps.exif_transpose(image)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            # Truncated or damaged data surfaces only when the pixels are decoded.
            raise MediaRejectedError("image_corrupt", reason=str(exc)) from exc
    oriented = _to_srgb(oriented, icc_profile)
    stored_kind = STORED_KIND[info.kind]
    pixels = _pixels_only(_mode_for(oriented, stored_kind))
    stored = _encode(pixels, stored_kind)
    thumbnail_pixels = _flatten(pixels)
    thumbnail_pixels.thumbnail((thumbnail_long_side, thumbnail_long_side), Image.Resampling.LANCZOS)
    thumbnail = _encode(thumbnail_pixels, "jpeg", quality=THUMBNAIL_QUALITY)
    return ProcessedImage(image=stored, thumbnail=thumbnail, source=info)


async def sanitise_async(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    thumbnail_long_side: int = THUMBNAIL_LONG_SIDE,
    pool: DecodePool | None = None,
) -> ProcessedImage:
    """`sanitise` in a worker thread: decoding a large photo takes long enough to stall the event loop.

    With `pool`, on one of its bounded decoders (DecoderBusyError when none frees up in time); without, in the
    default thread pool (the ingest consumer, which decodes one snapshot at a time)."""
    options = {"max_bytes": max_bytes, "max_pixels": max_pixels, "thumbnail_long_side": thumbnail_long_side}
    if pool is not None:
        return await pool.run(sanitise, data, **options)
    return await asyncio.to_thread(sanitise, data, **options)


def _to_srgb(image: Image.Image, icc_profile: object) -> Image.Image:
    if not isinstance(icc_profile, bytes) or not icc_profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
        converted = ImageCms.profileToProfile(
            image, source, _SRGB, outputMode="RGBA" if image.mode == "RGBA" else "RGB"
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken or mismatched profile: the pixels are still a usable photo without it.
        return image
    return converted if converted is not None else image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _mode_for(image: Image.Image, kind: ImageKind) -> Image.Image:
    """Convert to a mode the target encoder accepts, keeping transparency where the format can hold it."""
    if kind == "jpeg":
        return _flatten(image)
    allowed = ("L", "LA", "RGB", "RGBA", "I;16") if kind == "png" else ("RGB", "RGBA")
    if image.mode in allowed and "transparency" not in image.info:
        return image
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB or L without alpha; transparent areas become white, as they look on a light page."""
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("RGB", "L"):
        return image
    return image.convert("RGB")


def _pixels_only(image: Image.Image) -> Image.Image:
    """A fresh image with the same pixels and an empty `info`.

    Some encoders copy EXIF, XMP, comments or the ICC profile from `info` when saving; a new image has none.
    """
    clean = Image.new(image.mode, image.size)
    clean.paste(image, (0, 0))
    return clean


def _encode(image: Image.Image, kind: ImageKind, *, quality: int | None = None) -> EncodedImage:
    buffer = BytesIO()
    if kind == "jpeg":
        image.save(buffer, "JPEG", quality=quality or JPEG_QUALITY, optimize=True)
    elif kind == "png":
        image.save(buffer, "PNG")
    elif kind == "webp":
        image.save(buffer, "WEBP", quality=quality or WEBP_QUALITY, method=4)
    else:
        raise ValueError(f"images are never stored as {kind}")
    data = buffer.getvalue()
    return EncodedImage(
        data=data,
        content_type=CONTENT_TYPES[kind],
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
