"""Photo intake: type detection by content, refusals, metadata stripping, orientation, thumbnails."""

from __future__ import annotations

import hashlib
import struct
import warnings
import zlib
from io import BytesIO

import pillow_heif
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from core.media.images import (
    THUMBNAIL_LONG_SIDE,
    MediaRejectedError,
    ProcessedImage,
    inspect,
    sanitise,
    sanitise_async,
)

GPS_IFD = 0x8825
ORIENTATION = 0x0112
RED = (255, 0, 0)
BLUE = (0, 0, 255)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    # Latitude/longitude of a home in Nam Định: exactly what must never be published.
    exif[GPS_IFD] = {1: "N", 2: (20.0, 25.0, 12.5), 3: "E", 4: (106.0, 10.0, 3.0)}
    return exif


def _two_colour(width: int = 40, height: int = 20) -> Image.Image:
    """Left half red, right half blue: asymmetric, so a rotation shows in the pixels."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (width // 2, 0, width, height))
    return image


def _jpeg(image: Image.Image | None = None, **params: object) -> bytes:
    buffer = BytesIO()
    (image or _two_colour()).save(buffer, "JPEG", quality=95, **params)
    return buffer.getvalue()


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _assert_no_metadata(data: bytes) -> None:
    with Image.open(BytesIO(data)) as image:
        assert len(image.getexif()) == 0
        assert not image.getexif().get_ifd(GPS_IFD)
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "Comment", "photoshop"):
            assert key not in image.info, key
    assert b"Exif\x00\x00" not in data
    assert b"PhoneMaker" not in data
    assert b"adobe:ns:meta" not in data


def _close(actual: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual[:3], expected, strict=True))


def _rejected(data: bytes, **limits: int) -> str:
    with pytest.raises(MediaRejectedError) as caught:
        sanitise(data, **limits)
    return caught.value.code


# --- detection by content -------------------------------------------------------------------------


def test_jpeg_is_detected_from_its_bytes() -> None:
    info = inspect(_jpeg())
    assert (info.kind, info.content_type, info.width, info.height) == ("jpeg", "image/jpeg", 40, 20)


def test_png_claiming_to_be_jpeg_is_handled_as_png() -> None:
    # The client named it photo.jpg and sent image/jpeg; neither is an input, so the content decides.
    processed = sanitise(_encode(_two_colour(), "PNG"))
    assert processed.source.kind == "png"
    assert processed.image.content_type == "image/png"
    with Image.open(BytesIO(processed.image.data)) as image:
        assert image.format == "PNG"


def test_text_file_renamed_jpg_is_not_an_image() -> None:
    assert _rejected(b"Xin chao, day khong phai la anh.\n" * 10) == "not_an_image"


def test_empty_upload_is_not_an_image() -> None:
    assert _rejected(b"") == "not_an_image"


def test_mp4_sharing_the_ftyp_box_is_not_an_image() -> None:
    assert _rejected(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64) == "not_an_image"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_types_are_unsupported(fmt: str) -> None:
    with pytest.raises(MediaRejectedError) as caught:
        sanitise(_encode(_two_colour(), fmt))
    error = caught.value
    assert error.code == "unsupported_image_type"
    assert error.status == 415
    assert error.message.vi
    assert error.message.en


def test_avif_is_unsupported() -> None:
    header = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64
    assert _rejected(header) == "unsupported_image_type"


def test_jpeg_signature_with_garbage_is_corrupt() -> None:
    # "A photo that claims to be JPEG but is not": right magic bytes, nothing decodable behind them.
    assert _rejected(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20) == "image_corrupt"


def test_truncated_jpeg_is_corrupt() -> None:
    noisy = Image.effect_noise((200, 200), 80).convert("RGB")
    data = _jpeg(noisy)
    assert inspect(data[: len(data) // 2]).kind == "jpeg"  # the header alone looks fine
    assert _rejected(data[: len(data) // 2]) == "image_corrupt"


# --- size limits and decompression bombs ----------------------------------------------------------


def test_oversized_bytes_are_refused_before_decoding() -> None:
    data = b"\xff\xd8\xff" + b"\x00" * 2000  # would be corrupt if it were ever decoded
    with pytest.raises(MediaRejectedError) as caught:
        inspect(data, max_bytes=1000)
    error = caught.value
    assert (error.code, error.status) == ("image_too_large", 413)


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims huge dimensions."""
    data = bytearray(_encode(Image.new("L", (1, 1)), "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def test_decompression_bomb_is_refused() -> None:
    assert _rejected(_png_declaring(100_000, 100_000)) == "image_dimensions_too_large"


def test_bomb_warning_becomes_a_refusal_when_warnings_are_errors() -> None:
    pixels = Image.MAX_IMAGE_PIXELS
    assert pixels is not None
    # Above Pillow's warning threshold but below its error threshold.
    side = int((pixels * 1.5) ** 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert _rejected(_png_declaring(side, side), max_pixels=pixels * 4) == "image_dimensions_too_large"


def test_bomb_warning_becomes_a_refusal_when_warnings_are_ignored() -> None:
    pixels = Image.MAX_IMAGE_PIXELS
    assert pixels is not None
    side = int((pixels * 1.5) ** 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        # Even a caller's limit above Pillow's does not let the image through.
        assert _rejected(_png_declaring(side, side), max_pixels=pixels * 4) == "image_dimensions_too_large"


def test_caller_pixel_limit_is_enforced() -> None:
    assert _rejected(_jpeg(), max_pixels=40 * 20 - 1) == "image_dimensions_too_large"
    assert sanitise(_jpeg(), max_pixels=40 * 20).image.width == 40


# --- metadata stripping, orientation, colour ------------------------------------------------------


def test_jpeg_exif_gps_xmp_and_comment_are_stripped() -> None:
    data = _jpeg(exif=_exif(), xmp=XMP, comment=b"PhoneMaker comment")
    with Image.open(BytesIO(data)) as original:  # the fixture really carries what we strip
        assert original.getexif().get_ifd(GPS_IFD)
        assert "xmp" in original.info
        assert "comment" in original.info
    processed = sanitise(data)
    assert processed.image.content_type == "image/jpeg"
    _assert_no_metadata(processed.image.data)
    _assert_no_metadata(processed.thumbnail.data)


def test_orientation_is_applied_to_the_pixels() -> None:
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise, so the red left half goes on top.
    processed = sanitise(_jpeg(exif=_exif(orientation=6)))
    assert (processed.image.width, processed.image.height) == (20, 40)
    with Image.open(BytesIO(processed.image.data)) as image:
        rgb = image.convert("RGB")
        assert _close(rgb.getpixel((10, 5)), RED)  # type: ignore[arg-type]
        assert _close(rgb.getpixel((10, 34)), BLUE)  # type: ignore[arg-type]
    _assert_no_metadata(processed.image.data)


def test_icc_profile_is_applied_and_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    processed = sanitise(_jpeg(icc_profile=srgb))
    _assert_no_metadata(processed.image.data)
    with Image.open(BytesIO(processed.image.data)) as image:
        assert _close(image.convert("RGB").getpixel((5, 10)), RED)  # type: ignore[arg-type]


def test_png_text_exif_and_transparency() -> None:
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Comment", "PhoneMaker")
    chunks.add_itxt("XML:com.adobe.xmp", XMP.decode())
    image = _two_colour().convert("RGBA")
    image.putpixel((0, 0), (0, 0, 0, 0))
    processed = sanitise(_encode(image, "PNG", pnginfo=chunks, exif=_exif()))
    assert processed.image.content_type == "image/png"
    _assert_no_metadata(processed.image.data)
    with Image.open(BytesIO(processed.image.data)) as stored:
        assert stored.mode == "RGBA"
        assert stored.getpixel((0, 0)) == (0, 0, 0, 0)  # transparency survives in PNG
    with Image.open(BytesIO(processed.thumbnail.data)) as thumbnail:
        assert thumbnail.format == "JPEG"


def test_webp_stays_webp_without_metadata() -> None:
    processed = sanitise(_encode(_two_colour(), "WEBP", exif=_exif(), xmp=XMP, quality=90))
    assert processed.source.kind == "webp"
    assert processed.image.content_type == "image/webp"
    _assert_no_metadata(processed.image.data)


def test_this_build_can_encode_heic_for_the_tests_below() -> None:
    # The HEIC tests make their iPhone-like photos with libheif's HEVC encoder: without it they cannot run,
    # and a build that skipped them would ship untested HEIC intake.
    encoders = pillow_heif.libheif_info().get("encoders", {})
    assert encoders.get("x265"), (
        f"libheif has no HEVC (x265) encoder (encoders: {encoders}): install the pillow-heif wheel from "
        "PyPI, which bundles libheif with x265, not a pillow-heif built on a libheif without it"
    )


def test_heic_becomes_jpeg_without_metadata() -> None:
    data = _encode(_two_colour(), "HEIF", exif=_exif(), quality=90)
    with Image.open(BytesIO(data)) as original:
        assert original.getexif().get_ifd(GPS_IFD)
    info = inspect(data)
    assert (info.kind, info.content_type) == ("heic", "image/heic")
    processed = sanitise(data)
    assert processed.image.content_type == "image/jpeg"
    assert (processed.image.width, processed.image.height) == (40, 20)
    _assert_no_metadata(processed.image.data)
    with Image.open(BytesIO(processed.image.data)) as image:
        assert image.format == "JPEG"
        assert _close(image.convert("RGB").getpixel((5, 10)), RED)  # type: ignore[arg-type]


def test_heic_orientation_is_not_applied_twice() -> None:
    # HEIF rotation lives in the container and libheif applies it while decoding; the EXIF tag is then stale.
    data = _encode(_two_colour(), "HEIF", exif=_exif(orientation=6), quality=90)
    with Image.open(BytesIO(data)) as decoded:
        expected = decoded.convert("RGB")
    processed = sanitise(data)
    with Image.open(BytesIO(processed.image.data)) as image:
        assert image.size == expected.size
        rgb = image.convert("RGB")
        for point in ((5, 5), (expected.width - 5, expected.height - 5)):
            assert _close(rgb.getpixel(point), expected.getpixel(point))  # type: ignore[arg-type]


# --- thumbnails and hashes ------------------------------------------------------------------------


def test_thumbnail_fits_the_long_side() -> None:
    processed = sanitise(_jpeg(_two_colour(1000, 500)))
    thumb = processed.thumbnail
    assert (thumb.width, thumb.height, thumb.content_type) == (THUMBNAIL_LONG_SIDE, 160, "image/jpeg")
    with Image.open(BytesIO(thumb.data)) as image:
        assert image.size == (THUMBNAIL_LONG_SIDE, 160)
    assert (processed.image.width, processed.image.height) == (1000, 500)


def test_small_image_is_not_enlarged_for_the_thumbnail() -> None:
    thumb = sanitise(_jpeg()).thumbnail
    assert (thumb.width, thumb.height) == (40, 20)


def test_sha256_is_of_the_stored_bytes() -> None:
    processed: ProcessedImage = sanitise(_jpeg(exif=_exif()))
    assert processed.image.sha256 == hashlib.sha256(processed.image.data).hexdigest()
    assert processed.thumbnail.sha256 == hashlib.sha256(processed.thumbnail.data).hexdigest()


async def test_sanitise_async_runs_off_the_event_loop() -> None:
    processed = await sanitise_async(_jpeg())
    assert processed.image.content_type == "image/jpeg"
    with pytest.raises(MediaRejectedError):
        await sanitise_async(b"plain text")
