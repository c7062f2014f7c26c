"""Every $ref of a contract document must lead somewhere inside it: clients' generators give up otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolves(document: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False
    target: Any = document
    for part in ref[2:].split("/"):
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or key not in target:
            return False
        target = target[key]
    return True


def unresolved_refs(document: dict[str, Any]) -> list[str]:
    return sorted({ref for ref in refs(document) if not resolves(document, ref)})
