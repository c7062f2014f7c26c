"""Topics and payloads exactly as the MQTT contract has them (mobile_contract/asyncapi.yaml)."""

from __future__ import annotations

import base64
import io
import json
import random
from datetime import UTC, datetime
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

TOPIC_PREFIX = "city/v1/devices"


def topic(device_id: str, kind: str) -> str:
    """`kind` is telemetry, event or status."""
    return f"{TOPIC_PREFIX}/{device_id}/{kind}"


def format_ts(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and Z, e.g. 2026-11-22T08:30:00.250Z."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.removesuffix("+00:00") + "Z"


def _dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()


def telemetry(ts: datetime, seq: int, metrics: dict[str, float]) -> bytes:
    return _dump({"ts": format_ts(ts), "seq": seq, "metrics": metrics})


def status(ts: datetime, seq: int, state: str) -> bytes:
    return _dump({"ts": format_ts(ts), "seq": seq, "state": state})


def event(
    ts: datetime,
    seq: int,
    kind: str,
    confidence: float,
    *,
    plate: str | None = None,
    bbox: dict[str, float] | None = None,
    snapshot: bytes | None = None,
    attributes: dict[str, Any] | None = None,
) -> bytes:
    body: dict[str, Any] = {"ts": format_ts(ts), "seq": seq, "type": kind, "confidence": round(confidence, 3)}
    if plate is not None:
        body["plate"] = plate
    if bbox is not None:
        body["bbox"] = bbox
    if snapshot is not None:
        body["snapshot"] = base64.b64encode(snapshot).decode("ascii")
    if attributes is not None:
        body["attributes"] = attributes
    return _dump(body)


def snapshot_jpeg(rng: random.Random, *, size: tuple[int, int] = (160, 120)) -> bytes:
    """A small camera frame with a grey smoke plume over a street: a few KiB, far below the 48 KiB limit."""
    image = Image.new("RGB", size, (92, 104, 112))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((0, height * 2 // 3, width, height), fill=(58, 58, 62))  # the road
    for _ in range(14):
        x = rng.randint(width // 3, width * 2 // 3)
        y = rng.randint(height // 6, height * 2 // 3)
        r = rng.randint(8, 22)
        shade = rng.randint(150, 210)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(shade, shade, shade))
    image = image.filter(ImageFilter.GaussianBlur(2))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


def plate(rng: random.Random) -> str:
    """A Vietnamese-style plate of the province (18 = Nam Định), e.g. 18A-123.45."""
    return f"18{rng.choice('ABCDEFGH')}-{rng.randint(100, 999)}.{rng.randint(0, 99):02d}"
