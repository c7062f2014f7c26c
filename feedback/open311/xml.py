"""Open311 documents as XML, the format the GeoReport v2 spec requires.

A document is first dumped to JSON-ready data (so dates are W3C datetimes in both formats), then each member
becomes an element of the same name; a list becomes an element holding one child per item, named as the spec
names them (`<endpoints><endpoint>`, `<attributes><attribute>`, ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

from pydantic import BaseModel

# The element name of the items of each list member.
ITEM_TAGS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "services": "service",
    "errors": "error",
    "service_requests": "request",
    "service_request_updates": "request_update",
}
# Characters XML 1.0 cannot carry even escaped; ElementTree would write them and produce a broken document.
# Error descriptions can quote the request path, so they are replaced rather than trusted to be absent.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        # The spec spells booleans in lowercase, as JSON does; Python's str() would give True/False.
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _fill(element: ElementTree.Element, name: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, member in value.items():
            _fill(ElementTree.SubElement(element, key), key, member)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for item in value:
            _fill(ElementTree.SubElement(element, ITEM_TAGS[name]), ITEM_TAGS[name], item)
    elif value is not None:
        element.text = _text(value)


def render(root: str, document: BaseModel | Sequence[BaseModel]) -> bytes:
    """The document under an element named `root`; a list of documents gives one item element each."""
    if isinstance(document, BaseModel):
        data: Any = document.model_dump(mode="json", exclude_none=True)
    else:
        data = [item.model_dump(mode="json", exclude_none=True) for item in document]
    element = ElementTree.Element(root)
    _fill(element, root, data)
    body: bytes = ElementTree.tostring(element, encoding="UTF-8", xml_declaration=True)
    return body
