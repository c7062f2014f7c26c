"""Which differences between two OpenAPI 3.x documents break a client built against the older one.

The rules follow the direction data travels:

- Responses are parsed by clients, so a response must not lose a path, an operation, a 2xx status, a media
  type or a field, must not stop always sending a field it always sent, must not widen a type (integer to
  number, non-null to nullable, a declared type to anything) and must not add enum values: generated Kotlin
  and Swift clients decode enums strictly. An enum that promised growth in the older document with
  `x-extensible-enum: true` may gain values. Tightened constraints on responses are fine.
- Requests are built by clients, so the server must keep accepting what it accepted: no new required
  parameter, body or field; no narrowed type, removed enum value, new or tighter bound, new pattern or format.
  Removing an optional query parameter or request field is not breaking (the server ignores unknown ones),
  unless the schema now forbids unknown fields (`additionalProperties: false`).
- Security: an operation must keep accepting the credentials it accepted (including none).
- Names: an operation keeps its operationId; SDK generators name their methods after it, so a renamed one is
  a renamed method in every app.

Path templates match whatever their parameters are called: `/units/{code}` and `/units/{unit_code}` are one
path. mobile_contract depends on nothing of ours, so this module imports only the standard library and its
neighbour schema_view.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mobile_contract.schema_view import Direction, SchemaView, resolve, view

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Marks a response enum whose clients were told to expect new values.
EXTENSIBLE_ENUM = "x-extensible-enum"
_TEMPLATE_PARAMETER = re.compile(r"\{[^}]*\}")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")

# Request bounds that a client's value may newly violate when they appear or tighten.
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")


def is_major_bump(old_version: str, new_version: str) -> bool:
    """True when new_version's major part is greater than old_version's (semantic versions, e.g. 1.4.2)."""
    return _major(new_version) > _major(old_version)


def _major(version: str) -> int:
    match = _VERSION.match(version.strip())
    if match is None:
        raise ValueError(f"not a semantic version: {version!r}")
    return int(match.group(1))


def breaking_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Human-readable reasons why clients of `old` would break against `new`; empty when compatible."""
    diff = _Diff(old, new)
    new_paths = {_template_key(path): (path, item) for path, item in (new.get("paths") or {}).items()}
    for path, old_item in (old.get("paths") or {}).items():
        found = new_paths.get(_template_key(path))
        if found is None:
            diff.report(f"removed path {path}")
            continue
        new_path, new_item = found
        for method in HTTP_METHODS:
            if method not in old_item:
                continue
            label = f"{method.upper()} {path}"
            if method not in new_item:
                diff.report(f"removed operation {label}")
                continue
            diff.operation(label, (path, old_item, old_item[method]), (new_path, new_item, new_item[method]))
    return diff.reasons


def _template_key(path: str) -> str:
    return _TEMPLATE_PARAMETER.sub("{}", path)


OperationSide = tuple[str, Mapping[str, Any], Mapping[str, Any]]  # path, path item, operation
ParameterKey = tuple[str, str]
Labelled = tuple[str, Mapping[str, Any]]


@dataclass
class _Diff:
    old_doc: Mapping[str, Any]
    new_doc: Mapping[str, Any]
    reasons: list[str] = field(default_factory=list)
    # Pairs of $refs already compared in a direction: recursive schemas would otherwise never end, and a
    # shared component is reported once rather than at every use.
    _seen: set[tuple[str, str, Direction]] = field(default_factory=set)

    def report(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    # Operations -------------------------------------------------------------------------------------------

    def operation(self, label: str, old: OperationSide, new: OperationSide) -> None:
        self._operation_id(label, old[2], new[2])
        self._security(label, old[2], new[2])
        self._parameters(label, old, new)
        self._request_body(label, old[2], new[2])
        self._responses(label, old[2], new[2])

    def _operation_id(self, label: str, old_op: Mapping[str, Any], new_op: Mapping[str, Any]) -> None:
        old_id, new_id = old_op.get("operationId"), new_op.get("operationId")
        if old_id is not None and new_id != old_id:
            self.report(f"{label}: operationId changed from {old_id} to {new_id or 'none'}")

    def _security(self, label: str, old_op: Mapping[str, Any], new_op: Mapping[str, Any]) -> None:
        old_options = _security_options(old_op, self.old_doc)
        new_options = _security_options(new_op, self.new_doc)
        for option in sorted(old_options - new_options, key=sorted):
            accepted = " + ".join(sorted(option)) or "no credentials"
            self.report(f"{label}: no longer accepts {accepted}")

    def _parameters(self, label: str, old: OperationSide, new: OperationSide) -> None:
        old_params = _parameters(old, self.old_doc)
        new_params = _parameters(new, self.new_doc)
        for key, new_param in new_params.items():
            old_param = old_params.get(key)
            name = f"{key[0]} parameter {new_param.get('name')}"
            if old_param is None:
                if new_param.get("required"):
                    self.report(f"{label}: new required {name}")
                continue
            if new_param.get("required") and not old_param.get("required"):
                self.report(f"{label}: {name} is now required")
            self.schema(f"{label}: {name}", "", _param_schema(old_param), _param_schema(new_param), "request")

    def _request_body(self, label: str, old_op: Mapping[str, Any], new_op: Mapping[str, Any]) -> None:
        old_body = resolve(self.old_doc, old_op.get("requestBody"))
        new_body = resolve(self.new_doc, new_op.get("requestBody"))
        if new_body and new_body.get("required") and not (old_body and old_body.get("required")):
            self.report(f"{label}: request body is now required")
        if not old_body or not new_body:
            return
        new_content = new_body.get("content") or {}
        for media, old_media in (old_body.get("content") or {}).items():
            if media not in new_content:
                self.report(f"{label}: request body no longer accepts {media}")
                continue
            self.schema(
                f"{label}: request body",
                "",
                old_media.get("schema"),
                new_content[media].get("schema"),
                "request",
            )

    def _responses(self, label: str, old_op: Mapping[str, Any], new_op: Mapping[str, Any]) -> None:
        new_responses = new_op.get("responses") or {}
        for status, old_ref in (old_op.get("responses") or {}).items():
            success = str(status).startswith("2")
            if status not in new_responses:
                if success:
                    self.report(f"{label}: removed response {status}")
                continue
            old_response = resolve(self.old_doc, old_ref) or {}
            new_response = resolve(self.new_doc, new_responses[status]) or {}
            new_content = new_response.get("content") or {}
            for media, old_media in (old_response.get("content") or {}).items():
                if media not in new_content:
                    if success:
                        self.report(f"{label}: response {status} no longer offers {media}")
                    continue
                self.schema(
                    f"{label}: response {status}",
                    "",
                    old_media.get("schema"),
                    new_content[media].get("schema"),
                    "response",
                )

    # Schemas ----------------------------------------------------------------------------------------------

    def schema(
        self, where: str, pointer: str, old: Any, new: Any, direction: Direction, *, check_null: bool = True
    ) -> None:
        if not isinstance(old, Mapping) or not isinstance(new, Mapping):
            return
        old_view, new_view = view(self.old_doc, old), view(self.new_doc, new)
        at = f"{where}: field {pointer}" if pointer else where
        # Nullability belongs to the use of a schema (pydantic wraps a $ref in anyOf with null), so it is
        # checked before a shared component is skipped as already compared.
        if check_null:
            self._nullability(at, old_view, new_view, direction)
        if old_view.ref is not None and new_view.ref is not None:
            key = (old_view.ref, new_view.ref, direction)
            if key in self._seen:
                return
            self._seen.add(key)
        if old_view.branches is not None or new_view.branches is not None:
            self._union(where, pointer, old, new, old_view, new_view, direction)
            return
        if not self._types(at, old_view, new_view, direction):
            return
        self._values(at, old_view, new_view, direction)
        if direction == "request":
            self._bounds(at, old_view.schema, new_view.schema)
        self._object(where, pointer, old_view.schema, new_view.schema, direction)
        self.schema(
            where, f"{pointer}[]", old_view.schema.get("items"), new_view.schema.get("items"), direction
        )
        self.schema(
            where,
            f"{pointer}.*",
            old_view.schema.get("additionalProperties"),
            new_view.schema.get("additionalProperties"),
            direction,
        )

    def _nullability(self, at: str, old: SchemaView, new: SchemaView, direction: Direction) -> None:
        if direction == "response" and new.nullable and not old.nullable:
            self.report(f"{at}: may now be null")
        elif direction == "request" and old.nullable and not new.nullable:
            self.report(f"{at}: no longer accepts null")

    def _types(self, at: str, old: SchemaView, new: SchemaView, direction: Direction) -> bool:
        """Report a widened response or narrowed request type; False when digging deeper is pointless."""
        # A request type must still hold every old value; a response type must hold no value beyond the old.
        inner, outer = (old, new) if direction == "request" else (new, old)
        if _covers(inner.types, outer.types):
            return True
        verb = "narrowed" if direction == "request" else "widened"
        self.report(f"{at}: type {verb} from {_describe(old.types)} to {_describe(new.types)}")
        return False

    def _values(self, at: str, old: SchemaView, new: SchemaView, direction: Direction) -> None:
        old_values, new_values = old.values, new.values
        if direction == "response":
            if old_values is not None and new_values is None:
                self.report(f"{at}: values are no longer restricted to {_listing(old_values)}")
            elif old_values is not None and new_values is not None and not old.schema.get(EXTENSIBLE_ENUM):
                added = [value for value in new_values if value not in old_values]
                if added:
                    self.report(f"{at}: may return new values {_listing(added)}")
        elif new_values is not None:
            if old_values is None:
                self.report(f"{at}: now accepts only {_listing(new_values)}")
            else:
                removed = [value for value in old_values if value not in new_values]
                if removed:
                    self.report(f"{at}: no longer accepts values {_listing(removed)}")
        old_format, new_format = old.schema.get("format"), new.schema.get("format")
        changed = new_format != old_format
        if changed and (old_format if direction == "response" else new_format) is not None:
            self.report(f"{at}: format changed from {old_format or 'none'} to {new_format or 'none'}")

    def _bounds(self, at: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for keyword in (*_UPPER_BOUNDS, *_LOWER_BOUNDS):
            new_bound, old_bound = _number(new.get(keyword)), _number(old.get(keyword))
            if new_bound is None:
                continue
            upper = keyword in _UPPER_BOUNDS
            if old_bound is None or (new_bound < old_bound if upper else new_bound > old_bound):
                self.report(f"{at}: {keyword} tightened from {_fmt(old_bound)} to {_fmt(new_bound)}")
        for keyword in ("pattern", "multipleOf"):
            if new.get(keyword) is not None and new.get(keyword) != old.get(keyword):
                self.report(f"{at}: {keyword} changed from {old.get(keyword)!r} to {new.get(keyword)!r}")

    def _object(
        self, where: str, pointer: str, old: Mapping[str, Any], new: Mapping[str, Any], direction: Direction
    ) -> None:
        old_props: Mapping[str, Any] = old.get("properties") or {}
        new_props: Mapping[str, Any] = new.get("properties") or {}
        old_required, new_required = set(old.get("required") or ()), set(new.get("required") or ())
        for name, old_prop in old_props.items():
            child = f"{pointer}.{name}" if pointer else name
            if name not in new_props:
                if direction == "response":
                    self.report(f"{where}: field {child}: removed")
                elif new.get("additionalProperties") is False:
                    self.report(f"{where}: field {child}: no longer accepted")
                continue
            if direction == "response" and name in old_required and name not in new_required:
                self.report(f"{where}: field {child}: no longer always present")
            self.schema(where, child, old_prop, new_props[name], direction)
        if direction == "request":
            for name in sorted(new_required - old_required):
                child = f"{pointer}.{name}" if pointer else name
                self.report(f"{where}: field {child}: now required")

    def _union(
        self,
        where: str,
        pointer: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        old_view: SchemaView,
        new_view: SchemaView,
        direction: Direction,
    ) -> None:
        """Pair the variants of two unions and compare each pair: first by label ($ref name or type), then the
        rest in order when as many are left on both sides (renamed variants).

        A response variant without a partner is new to clients; a request variant without one is no longer
        accepted.
        """
        old_left = _labelled(self.old_doc, old_view.branches if old_view.branches is not None else [old])
        new_left = _labelled(self.new_doc, new_view.branches if new_view.branches is not None else [new])
        pairs: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
        for item in list(old_left):
            partner = next((candidate for candidate in new_left if candidate[0] == item[0]), None)
            if partner is not None:
                old_left.remove(item)
                new_left.remove(partner)
                pairs.append((item[1], partner[1]))
        if len(old_left) == len(new_left):
            pairs.extend((before[1], after[1]) for before, after in zip(old_left, new_left, strict=True))
            old_left, new_left = [], []
        at = f"{where}: field {pointer}" if pointer else where
        for label, _ in old_left if direction == "request" else new_left:
            verb = "no longer accepts" if direction == "request" else "may return new"
            self.report(f"{at}: {verb} variant {label}")
        for old_branch, new_branch in pairs:
            # Null was taken out of both unions and compared already; the variants themselves never hold it.
            self.schema(where, pointer, old_branch, new_branch, direction, check_null=False)


def _labelled(doc: Mapping[str, Any], branches: list[Mapping[str, Any]]) -> list[Labelled]:
    labelled = []
    for branch in branches:
        branch_view = view(doc, branch)
        label = branch_view.ref.rsplit("/", 1)[-1] if branch_view.ref else _describe(branch_view.types)
        labelled.append((label, branch))
    return labelled


def _security_options(operation: Mapping[str, Any], doc: Mapping[str, Any]) -> set[frozenset[str]]:
    requirements = operation.get("security", doc.get("security")) or [{}]
    return {frozenset(requirement) for requirement in requirements}


def _parameters(side: OperationSide, doc: Mapping[str, Any]) -> dict[ParameterKey, Mapping[str, Any]]:
    """Path-item and operation parameters (the operation's win), keyed so renamed path parameters match."""
    path, path_item, operation = side
    names = [match.strip("{}") for match in _TEMPLATE_PARAMETER.findall(path)]
    found: dict[ParameterKey, Mapping[str, Any]] = {}
    for raw in (*(path_item.get("parameters") or ()), *(operation.get("parameters") or ())):
        parameter = resolve(doc, raw) or {}
        location, name = str(parameter.get("in")), str(parameter.get("name"))
        if location == "path" and name in names:
            name = f"#{names.index(name)}"
        elif location == "header":
            name = name.lower()
        found[(location, name)] = parameter
    return found


def _param_schema(parameter: Mapping[str, Any]) -> Any:
    if "schema" in parameter:
        return parameter["schema"]
    content = parameter.get("content") or {}
    return next((media.get("schema") for media in content.values()), None)


def _covers(narrow: frozenset[str] | None, wide: frozenset[str] | None) -> bool:
    """Whether every value of type set `narrow` is also a value of `wide` (None means any type)."""
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(kind in wide or (kind == "integer" and "number" in wide) for kind in narrow)


def _describe(types: frozenset[str] | None) -> str:
    return " | ".join(sorted(types)) if types else "any"


def _listing(values: list[Any]) -> str:
    return ", ".join(repr(value) for value in values)


def _number(value: Any) -> float | None:
    # OpenAPI 3.0 spells exclusiveMaximum/exclusiveMinimum as booleans; only 3.1's numeric form is a bound.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _fmt(value: float | None) -> str:
    if value is None:
        return "none"
    return str(int(value)) if value.is_integer() else str(value)
