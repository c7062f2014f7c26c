"""The public index of current warnings as an Atom feed (RFC 4287), the way alert aggregators read CAP
sources: one entry per current warning, linking to its CAP message (`rel="alternate"`,
`type="application/cap+xml"`), and carrying the message's key facts in the CAP namespace (identifier,
sender, sent, msgType, event, urgency, severity, certainty, onset, expires, areaDesc, geocodes and the drawn
polygon), so an aggregator fetches only the messages it has not seen.

The entry's id is the warning's URL, the same for every message of its chain: an update is the same entry
with a newer `updated` (and a new cap:identifier), a cancellation or an expiry removes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree

from core.errors import Language, Message
from ioc.warnings.cap import CAP_CONTENT_TYPE, CAP_NAMESPACE, GEOCODE_NAME, cap_time, ring_text
from ioc.warnings.schemas import WARNINGS_PATH, WarningSummary

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
ATOM_CONTENT_TYPE = "application/atom+xml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED_PATH = f"{WARNINGS_PATH}.atom"
TITLE = Message("Cảnh báo cho người dân", "Public warnings")
# The feed's date when no warning was ever sent: a fixed one, so that its ETag does not change by itself.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)

# Serialised as cap:..., rather than ns0:...
ElementTree.register_namespace("cap", CAP_NAMESPACE)


# Atom elements are written unqualified under an explicit default xmlns: ElementTree's default_namespace
# option refuses unqualified attributes (rel, href...), which Atom uses throughout.
def _atom(parent: ElementTree.Element, name: str, text: str | None = None, **attributes: str) -> None:
    child = ElementTree.SubElement(parent, name, attributes)
    child.text = text


def _cap(parent: ElementTree.Element, name: str, text: str) -> ElementTree.Element:
    child = ElementTree.SubElement(parent, f"{{{CAP_NAMESPACE}}}{name}")
    child.text = text
    return child


def _entry(feed: ElementTree.Element, warning: WarningSummary, base_url: str, language: Language) -> None:
    entry = ElementTree.SubElement(feed, "entry")
    url = f"{base_url}{WARNINGS_PATH}/{warning.id}"
    _atom(entry, "id", url)
    _atom(entry, "title", getattr(warning.headline, language))
    _atom(entry, "updated", cap_time(warning.sent))
    author = ElementTree.SubElement(entry, "author")
    _atom(author, "name", warning.sender)
    _atom(entry, "summary", getattr(warning.description, language))
    _atom(entry, "category", term=warning.category.value)
    _atom(entry, "link", rel="alternate", type=CAP_CONTENT_TYPE, href=f"{base_url}{warning.cap_url}")
    _atom(entry, "link", rel="related", type="application/json", href=url)
    _cap(entry, "identifier", warning.identifier)
    _cap(entry, "sender", warning.sender)
    _cap(entry, "sent", cap_time(warning.sent))
    _cap(entry, "status", warning.status)
    _cap(entry, "msgType", warning.msg_type.value)
    _cap(entry, "scope", warning.scope)
    _cap(entry, "event", getattr(warning.event, language))
    _cap(entry, "urgency", warning.urgency.value)
    _cap(entry, "severity", warning.severity.value)
    _cap(entry, "certainty", warning.certainty.value)
    _cap(entry, "onset", cap_time(warning.onset))
    _cap(entry, "expires", cap_time(warning.expires))
    _cap(entry, "areaDesc", getattr(warning.area.description, language))
    if warning.area.polygon is not None:
        _cap(entry, "polygon", ring_text(warning.area.polygon.coordinates[0]))
    for code in warning.area.ward_codes:
        geocode = ElementTree.SubElement(entry, f"{{{CAP_NAMESPACE}}}geocode")
        _cap(geocode, "valueName", GEOCODE_NAME)
        _cap(geocode, "value", code)


def render(
    warnings: Sequence[WarningSummary],
    *,
    base_url: str,
    language: Language,
    updated: datetime | None,
    sender: str,
) -> bytes:
    """The feed of `warnings` in `language`; `updated` is when the set of current warnings last changed."""
    feed = ElementTree.Element("feed", {"xmlns": ATOM_NAMESPACE, XML_LANG: language})
    self_url = f"{base_url}{FEED_PATH}?lang={language}"
    _atom(feed, "id", self_url)
    _atom(feed, "title", TITLE.in_(language))
    _atom(feed, "updated", cap_time(updated or NEVER))
    author = ElementTree.SubElement(feed, "author")
    _atom(author, "name", sender)
    _atom(feed, "link", rel="self", type=ATOM_CONTENT_TYPE, href=self_url)
    for warning in warnings:
        _entry(feed, warning, base_url, language)
    document: bytes = ElementTree.tostring(feed, encoding="UTF-8", xml_declaration=True)
    return document
