"""A normalised view of an OpenAPI 3.x schema, so that compatibility rules need not care how it was spelled.

The same meaning has several spellings: `nullable: true` (3.0), `type: [string, "null"]` and
`anyOf: [{...}, {type: "null"}]` (3.1 and pydantic), a `$ref`, properties spread over `allOf`, a `const`
instead of a one-value `enum`. A view resolves local `$ref`s, merges `allOf`, takes null out as a flag and
keeps the real variants of a union apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["request", "response"]

# Reference chains and allOf nesting deeper than this are treated as unknown rather than followed forever.
_MAX_DEPTH = 32

_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),  # before int: bool is a subclass of int
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


@dataclass(frozen=True, slots=True)
class SchemaView:
    schema: Mapping[str, Any]  # keywords after resolving $ref and merging allOf
    types: frozenset[str] | None  # JSON types other than null; None when any type is allowed
    nullable: bool
    values: list[Any] | None  # enum or const values other than null; None when unrestricted
    branches: list[Mapping[str, Any]] | None  # the non-null variants of anyOf/oneOf, when there are several
    ref: str | None  # the $ref this view was reached through, if any


def resolve(doc: Mapping[str, Any], node: Any) -> Mapping[str, Any] | None:
    """The object a (possibly $ref) node stands for: None for no node, {} for a reference leading nowhere."""
    if node is None:
        return None
    return _follow(doc, node)[0]


def view(doc: Mapping[str, Any], schema: Mapping[str, Any], depth: int = 0) -> SchemaView:
    resolved, ref = _follow(doc, schema)
    merged = _merge_all_of(doc, resolved, depth)
    nullable = bool(merged.get("nullable"))
    union = merged.get("anyOf") or merged.get("oneOf")
    if isinstance(union, list) and depth < _MAX_DEPTH:
        variants = []
        for branch in union:
            if _is_null(_follow(doc, branch)[0]):
                nullable = True
            else:
                variants.append(branch)
        if len(variants) == 1:
            inner = view(doc, variants[0], depth + 1)
            outer = {key: value for key, value in merged.items() if key not in ("anyOf", "oneOf")}
            return SchemaView(
                schema={**outer, **inner.schema},
                types=inner.types,
                nullable=nullable or inner.nullable,
                values=inner.values,
                branches=inner.branches,
                ref=ref or inner.ref,
            )
        if variants:
            return SchemaView(merged, _types_of(merged), nullable, None, variants, ref)
    types = _types_of(merged)
    if types is not None and "null" in types:
        nullable = True
        types = types - {"null"}
    values = _values_of(merged)
    if values is not None and None in values:
        nullable = True
        values = [value for value in values if value is not None]
    if types is None:
        types = _inferred_types(merged, values)
    return SchemaView(merged, types, nullable, values, None, ref)


def _follow(doc: Mapping[str, Any], node: Any) -> tuple[Mapping[str, Any], str | None]:
    """Follow local $ref chains; a remote or dangling reference gives an empty (unconstrained) schema."""
    ref_seen: str | None = None
    for _ in range(_MAX_DEPTH):
        if not isinstance(node, Mapping):
            return {}, ref_seen
        ref = node.get("$ref")
        if ref is None:
            return node, ref_seen
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}, ref if isinstance(ref, str) else None
        target: Any = doc
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            target = target.get(key) if isinstance(target, Mapping) else None
        ref_seen, node = ref, target
    return {}, ref_seen


def _merge_all_of(doc: Mapping[str, Any], schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    parts = schema.get("allOf")
    if not isinstance(parts, list) or depth >= _MAX_DEPTH:
        return merged
    for part in parts:
        piece = _merge_all_of(doc, _follow(doc, part)[0], depth + 1)
        properties = {**(piece.get("properties") or {}), **(merged.get("properties") or {})}
        required = [
            *merged.get("required", ()),
            *(name for name in piece.get("required", ()) if name not in merged.get("required", ())),
        ]
        for key, value in piece.items():
            merged.setdefault(key, value)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
    return merged


def _is_null(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "null" or kind == ["null"] or ("const" in schema and schema["const"] is None)


def _types_of(schema: Mapping[str, Any]) -> frozenset[str] | None:
    kind = schema.get("type")
    if isinstance(kind, str):
        return frozenset({kind})
    if isinstance(kind, list):
        return frozenset(str(item) for item in kind)
    return None


def _values_of(schema: Mapping[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None


def _inferred_types(schema: Mapping[str, Any], values: list[Any] | None) -> frozenset[str] | None:
    if values:
        return frozenset(_json_type(value) for value in values)
    if "properties" in schema:
        return frozenset({"object"})
    if "items" in schema:
        return frozenset({"array"})
    return None


def _json_type(value: Any) -> str:
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "object")
