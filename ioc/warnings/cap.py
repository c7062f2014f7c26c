"""CAP 1.2 (OASIS Common Alerting Protocol) documents of warning messages.

One `<alert>` per message, with one `<info>` per language (vi-VN, then en-US), each holding the same
`<area>`: its description in that language, a `<polygon>` for each part of each chosen ward's boundary and
for the officer's polygon, and a `<geocode>` per chosen ward (its code from the national statistics office).
CAP writes coordinates "lat,lon" (the opposite of GeoJSON), each ring closed, and times as
2026-07-01T15:30:00+07:00: whole seconds with an offset, here Vietnam's, never "Z".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from ioc.warnings.vocabulary import CapSeverity, Category, Certainty, MsgType, Urgency

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_CONTENT_TYPE = "application/cap+xml"
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# The language tags of the info blocks, in the order they are written.
LANGUAGES = {"vi": "vi-VN", "en": "en-US"}
# The geocode scheme of ward codes: the codes of the General Statistics Office (Tổng cục Thống kê).
GEOCODE_NAME = "GSO"
IDENTIFIER_PREFIX = "smartcity"
COORDINATE_DECIMALS = 6

# A ring of (lon, lat) positions, as GeoJSON and PostGIS give it.
Ring = Sequence[Sequence[float]]


@dataclass(frozen=True, slots=True)
class InfoTexts:
    """The texts of one `<info>` block, in its language."""

    event: str
    headline: str
    description: str
    instruction: str
    area_desc: str


@dataclass(frozen=True, slots=True)
class CapMessage:
    identifier: str
    sender: str
    sent: datetime
    msg_type: MsgType
    references: str | None
    incident: str | None
    category: Category
    urgency: Urgency
    severity: CapSeverity
    certainty: Certainty
    onset: datetime
    expires: datetime
    texts: dict[str, InfoTexts]  # by "vi" and "en"
    rings: list[Ring]
    geocodes: list[str]


def cap_time(moment: datetime) -> str:
    """A CAP dateTime: whole seconds and Vietnam's offset (2026-07-01T15:30:00+07:00)."""
    return moment.astimezone(LOCAL_ZONE).replace(microsecond=0).isoformat()


def make_identifier(province_code: str, sent: datetime, number: int) -> str:
    """smartcity-37-2026-000123: no spaces, commas or the characters CAP restricts, unique by the number."""
    year = sent.astimezone(LOCAL_ZONE).year
    return f"{IDENTIFIER_PREFIX}-{province_code}-{year}-{number:06d}"


def reference(sender: str, identifier: str, sent: datetime) -> str:
    """One entry of `references`: sender,identifier,sent of an earlier message."""
    return f"{sender},{identifier},{cap_time(sent)}"


def _number(value: float) -> str:
    text = f"{value:.{COORDINATE_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def ring_text(ring: Ring) -> str:
    """A CAP polygon: "lat,lon lat,lon ..." with the first pair repeated last."""
    pairs = [f"{_number(position[1])},{_number(position[0])}" for position in ring]
    if pairs and pairs[0] != pairs[-1]:
        pairs.append(pairs[0])
    return " ".join(pairs)


def _element(parent: ElementTree.Element, name: str, text: str) -> ElementTree.Element:
    child = ElementTree.SubElement(parent, f"{{{CAP_NAMESPACE}}}{name}")
    child.text = text
    return child


def _info(alert: ElementTree.Element, message: CapMessage, language: str) -> None:
    texts = message.texts[language]
    info = ElementTree.SubElement(alert, f"{{{CAP_NAMESPACE}}}info")
    # The order of the schema's sequence.
    _element(info, "language", LANGUAGES[language])
    _element(info, "category", message.category.value)
    _element(info, "event", texts.event)
    _element(info, "urgency", message.urgency.value)
    _element(info, "severity", message.severity.value)
    _element(info, "certainty", message.certainty.value)
    _element(info, "onset", cap_time(message.onset))
    _element(info, "expires", cap_time(message.expires))
    _element(info, "headline", texts.headline)
    _element(info, "description", texts.description)
    _element(info, "instruction", texts.instruction)
    area = ElementTree.SubElement(info, f"{{{CAP_NAMESPACE}}}area")
    _element(area, "areaDesc", texts.area_desc)
    for ring in message.rings:
        _element(area, "polygon", ring_text(ring))
    for code in message.geocodes:
        geocode = ElementTree.SubElement(area, f"{{{CAP_NAMESPACE}}}geocode")
        _element(geocode, "valueName", GEOCODE_NAME)
        _element(geocode, "value", code)


def render(message: CapMessage) -> str:
    """The message as a CAP 1.2 XML document (UTF-8, with its declaration)."""
    alert = ElementTree.Element(f"{{{CAP_NAMESPACE}}}alert")
    _element(alert, "identifier", message.identifier)
    _element(alert, "sender", message.sender)
    _element(alert, "sent", cap_time(message.sent))
    _element(alert, "status", "Actual")
    _element(alert, "msgType", message.msg_type.value)
    _element(alert, "scope", "Public")
    if message.references is not None:
        _element(alert, "references", message.references)
    if message.incident is not None:
        _element(alert, "incidents", message.incident)
    for language in LANGUAGES:
        _info(alert, message, language)
    document: bytes = ElementTree.tostring(
        alert, encoding="UTF-8", xml_declaration=True, default_namespace=CAP_NAMESPACE
    )
    return document.decode("utf-8")
