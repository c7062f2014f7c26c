"""The exported OpenAPI document matches the code, and changes to it never break clients unannounced."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api import cli
from api.contract import (
    OPENAPI_PATH,
    ContractBreakError,
    check_contract,
    export_openapi,
    generate_openapi,
    render,
)
from mobile_contract import CONTRACT_VERSION
from mobile_contract.compat import breaking_changes, is_major_bump
from tests.mobile_contract.refs import unresolved_refs

NEXT_MAJOR = f"{int(CONTRACT_VERSION.split('.')[0]) + 1}.0.0"

# The committed document ------------------------------------------------------------------------------------


def test_exported_openapi_matches_the_code() -> None:
    exported = OPENAPI_PATH.read_text(encoding="utf-8")
    generated = generate_openapi()
    if exported != render(generated):
        old = json.loads(exported)
        changed = sorted(
            f"{section} {key}"
            for section in ("paths", "schemas")
            for key in set(_section(old, section)) | set(_section(generated, section))
            if _section(old, section).get(key) != _section(generated, section).get(key)
        )
        pytest.fail(
            "mobile_contract/openapi.json differs from what the code produces: "
            f"run `smartcity contract export` (differences in: {', '.join(changed) or 'formatting or info'})"
        )


def _section(document: dict[str, Any], section: str) -> dict[str, Any]:
    found: dict[str, Any] = document.get(section) or document.get("components", {}).get(section) or {}
    return found


def test_contract_is_current_and_compatible() -> None:
    assert check_contract() == []


def test_contract_check_command_agrees() -> None:
    result = CliRunner().invoke(cli.app, ["contract", "check"])
    assert result.exit_code == 0, result.output
    assert "contract is current and compatible" in result.output


def test_every_ref_in_the_exported_document_resolves() -> None:
    document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    assert unresolved_refs(document) == []


def test_exported_version_is_the_contract_version() -> None:
    document = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    assert document["info"]["version"] == CONTRACT_VERSION


# Export ----------------------------------------------------------------------------------------------------


def test_export_writes_sorted_readable_json(tmp_path: Path) -> None:
    target = export_openapi(tmp_path / "openapi.json")
    text = target.read_text(encoding="utf-8")
    assert text == render(generate_openapi())
    assert text.endswith("}\n")
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert render({"title": "Phản ánh hiện trường"}) == '{\n  "title": "Phản ánh hiện trường"\n}\n'


def _exported_with(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    document = generate_openapi()
    change(document)
    target = tmp_path / "openapi.json"
    target.write_text(render(document), encoding="utf-8")
    return target


def _retired_path(document: dict[str, Any]) -> None:
    document["paths"]["/api/v1/retired"] = {"get": {"responses": {"200": {"description": "OK"}}}}


def test_export_refuses_a_breaking_change_without_a_major_bump(tmp_path: Path) -> None:
    target = _exported_with(tmp_path, _retired_path)
    before = target.read_text(encoding="utf-8")
    with pytest.raises(ContractBreakError) as raised:
        export_openapi(target, version=CONTRACT_VERSION)
    assert raised.value.reasons == ["removed path /api/v1/retired"]
    assert "removed path /api/v1/retired" in raised.value.format_message()
    assert target.read_text(encoding="utf-8") == before
    problems = check_contract(target, version=CONTRACT_VERSION)
    assert "breaking: removed path /api/v1/retired" in problems
    assert any("run `smartcity contract export`" in problem for problem in problems)


def test_export_accepts_a_breaking_change_with_a_major_bump(tmp_path: Path) -> None:
    target = _exported_with(tmp_path, _retired_path)
    export_openapi(target, version=NEXT_MAJOR)
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["info"]["version"] == NEXT_MAJOR
    assert "/api/v1/retired" not in exported["paths"]
    assert check_contract(target, version=NEXT_MAJOR) == []


def test_export_accepts_a_compatible_change_without_a_bump(tmp_path: Path) -> None:
    # The exported file lacks an operation the code has: the code added it, which breaks no one.
    target = _exported_with(tmp_path, lambda document: document["paths"].pop("/health"))
    assert check_contract(target) == [
        f"{target.name} differs from what the code produces: run `smartcity contract export`"
    ]
    export_openapi(target)
    assert check_contract(target) == []


def test_check_reports_a_missing_export(tmp_path: Path) -> None:
    assert check_contract(tmp_path / "openapi.json") == [
        "openapi.json does not exist: run `smartcity contract export`"
    ]


# Versions --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "bumped"),
    [
        ("1.0.0", "2.0.0", True),
        ("1.4.2", "1.5.0", False),
        ("1.4.2", "1.4.3", False),
        ("2.0.0", "1.9.9", False),
        ("1.2.0", "2.0.0-rc.1", True),
        ("9.0.0", "10.0.0", True),
    ],
)
def test_is_major_bump(old: str, new: str, bumped: bool) -> None:
    assert is_major_bump(old, new) is bumped


def test_is_major_bump_refuses_what_is_not_a_version() -> None:
    with pytest.raises(ValueError, match="not a semantic version"):
        is_major_bump("1.0", "2.0.0")


# Breaking-change rules, on a small document -----------------------------------------------------------------


def _json(schema_ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}


BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1.0.0"},
    "paths": {
        "/units/{code}": {
            "get": {
                "parameters": [
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "OK", "content": _json("Unit")},
                    "404": {"description": "Not found"},
                },
            }
        },
        "/reports": {
            "get": {
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}}
                            }
                        },
                    }
                }
            },
            "post": {
                "requestBody": {"required": True, "content": _json("NewReport")},
                "responses": {"201": {"description": "Created", "content": _json("Report")}},
            },
        },
    },
    "components": {
        "schemas": {
            "Unit": {
                "type": "object",
                "required": ["code", "name", "centroid"],
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "level": {"type": "string", "enum": ["province", "ward"]},
                    "centroid": {"$ref": "#/components/schemas/Point"},
                    "parent_code": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
            },
            "Point": {
                "type": "object",
                "required": ["lat", "lon"],
                "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
            },
            "NewReport": {
                "type": "object",
                "required": ["description"],
                "properties": {
                    "description": {"type": "string", "maxLength": 4000},
                    "category": {"type": "string", "enum": ["road", "light", "waste"]},
                    "rating": {"type": "number"},
                    "photo_url": {"type": "string"},
                },
            },
            "Report": {
                "type": "object",
                "required": ["id", "status"],
                "properties": {
                    "id": {"type": "integer"},
                    "status": {"type": "string", "enum": ["open", "closed"]},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}},
                },
            },
        }
    },
}


def changed(change: Callable[[dict[str, Any]], Any]) -> list[str]:
    new = copy.deepcopy(BASE)
    change(new)
    return breaking_changes(BASE, new)


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"]
    return found


def props(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = schemas(document)[name]["properties"]
    return found


def test_identical_documents_break_nothing() -> None:
    assert breaking_changes(BASE, copy.deepcopy(BASE)) == []


def test_removed_path() -> None:
    assert changed(lambda d: d["paths"].pop("/reports")) == ["removed path /reports"]


def test_removed_operation() -> None:
    assert changed(lambda d: d["paths"]["/reports"].pop("get")) == ["removed operation GET /reports"]


def test_removed_success_response_but_not_an_error_response() -> None:
    def swap_status(d: dict[str, Any]) -> None:
        responses = d["paths"]["/reports"]["post"]["responses"]
        responses["200"] = responses.pop("201")

    assert changed(swap_status) == ["POST /reports: removed response 201"]
    assert changed(lambda d: d["paths"]["/units/{code}"]["get"]["responses"].pop("404")) == []


def test_removed_response_field() -> None:
    def remove_name(d: dict[str, Any]) -> None:
        props(d, "Unit").pop("name")
        schemas(d)["Unit"]["required"].remove("name")

    assert changed(remove_name) == ["GET /units/{code}: response 200: field name: removed"]


def test_removed_nested_response_field_through_ref() -> None:
    assert changed(lambda d: props(d, "Point").pop("lat")) == [
        "GET /units/{code}: response 200: field centroid.lat: removed"
    ]


def test_removed_response_field_inside_an_array_of_recursive_items() -> None:
    # Report is reached first through GET /reports' array; its recursion through `children` must end.
    assert changed(lambda d: props(d, "Report").pop("status")) == [
        "GET /reports: response 200: field [].status: removed"
    ]


def test_response_field_no_longer_always_present() -> None:
    assert changed(lambda d: schemas(d)["Report"]["required"].remove("status")) == [
        "GET /reports: response 200: field [].status: no longer always present"
    ]


def test_request_field_made_required() -> None:
    assert changed(lambda d: schemas(d)["NewReport"]["required"].append("category")) == [
        "POST /reports: request body: field category: now required"
    ]


def test_new_required_query_parameter() -> None:
    page = {"name": "page", "in": "query", "required": True, "schema": {"type": "integer"}}
    assert changed(lambda d: d["paths"]["/units/{code}"]["get"]["parameters"].append(page)) == [
        "GET /units/{code}: new required query parameter page"
    ]


def test_optional_parameter_made_required() -> None:
    def require_lang(d: dict[str, Any]) -> None:
        d["paths"]["/units/{code}"]["get"]["parameters"][1]["required"] = True

    assert changed(require_lang) == ["GET /units/{code}: query parameter lang is now required"]


def test_narrowed_request_type() -> None:
    assert changed(lambda d: props(d, "NewReport")["rating"].update(type="integer")) == [
        "POST /reports: request body: field rating: type narrowed from number to integer"
    ]


def test_widened_response_type() -> None:
    assert changed(lambda d: props(d, "Report")["id"].update(type="number")) == [
        "GET /reports: response 200: field [].id: type widened from integer to number"
    ]


def test_enum_value_removed_from_a_request() -> None:
    assert changed(lambda d: props(d, "NewReport")["category"]["enum"].remove("waste")) == [
        "POST /reports: request body: field category: no longer accepts values 'waste'"
    ]


def test_enum_value_added_to_a_response_unless_declared_extensible() -> None:
    assert changed(lambda d: props(d, "Unit")["level"]["enum"].append("district")) == [
        "GET /units/{code}: response 200: field level: may return new values 'district'"
    ]
    old = copy.deepcopy(BASE)
    props(old, "Unit")["level"]["x-extensible-enum"] = True
    new = copy.deepcopy(old)
    props(new, "Unit")["level"]["enum"].append("district")
    assert breaking_changes(old, new) == []


def test_tightened_request_bounds_and_new_pattern() -> None:
    assert changed(lambda d: props(d, "NewReport")["description"].update(maxLength=2000)) == [
        "POST /reports: request body: field description: maxLength tightened from 4000 to 2000"
    ]
    assert changed(lambda d: props(d, "NewReport")["photo_url"].update(pattern="^https://")) == [
        "POST /reports: request body: field photo_url: pattern changed from None to '^https://'"
    ]
    assert changed(lambda d: props(d, "NewReport")["description"].update(maxLength=8000)) == []


def test_non_nullable_response_field_made_nullable() -> None:
    nullable = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert changed(lambda d: props(d, "Unit").update(name=nullable)) == [
        "GET /units/{code}: response 200: field name: may now be null"
    ]
    # OpenAPI 3.0 spelling.
    assert changed(lambda d: props(d, "Unit")["name"].update(nullable=True)) == [
        "GET /units/{code}: response 200: field name: may now be null"
    ]
    # The other way round is fine for a response, and breaks a request.
    assert changed(lambda d: props(d, "Unit").update(parent_code={"type": "string"})) == []
    old = copy.deepcopy(BASE)
    props(old, "NewReport")["rating"]["type"] = ["number", "null"]
    assert breaking_changes(old, BASE) == [
        "POST /reports: request body: field rating: no longer accepts null"
    ]


def test_response_gains_a_union_variant() -> None:
    assert changed(
        lambda d: props(d, "Report").update(id={"anyOf": [{"type": "integer"}, {"type": "string"}]})
    ) == ["GET /reports: response 200: field [].id: may return new variant string"]


def test_union_variants_pair_by_name_before_order() -> None:
    def variants(*names: str) -> dict[str, Any]:
        return {"oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in names]}

    def with_subject(*names: str) -> dict[str, Any]:
        document = copy.deepcopy(BASE)
        schemas(document)["Road"] = {"type": "object", "properties": {"km": {"type": "number"}}}
        schemas(document)["Light"] = {"type": "object", "properties": {"pole": {"type": "string"}}}
        schemas(document)["Waste"] = {"type": "object", "properties": {"bins": {"type": "integer"}}}
        props(document, "Report")["subject"] = variants(*names)
        props(document, "NewReport")["subject"] = variants(*names)
        return document

    assert breaking_changes(with_subject("Road", "Light"), with_subject("Light")) == [
        "POST /reports: request body: field subject: no longer accepts variant Road",
    ]
    assert breaking_changes(with_subject("Light"), with_subject("Waste", "Light")) == [
        "GET /reports: response 200: field [].subject: may return new variant Waste",
    ]
    # As many unpaired on both sides: taken as renamed, in order, and compared field by field.
    assert breaking_changes(with_subject("Road", "Light"), with_subject("Light", "Waste")) == [
        "GET /reports: response 200: field [].subject.km: removed",
    ]
    renamed = with_subject("Road", "Light")
    schemas(renamed)["Streetlight"] = schemas(renamed).pop("Light")
    props(renamed, "Report")["subject"] = variants("Road", "Streetlight")
    props(renamed, "NewReport")["subject"] = variants("Road", "Streetlight")
    assert breaking_changes(with_subject("Road", "Light"), renamed) == []


def test_removed_request_media_type_and_new_security() -> None:
    def move_to_form(d: dict[str, Any]) -> None:
        content = d["paths"]["/reports"]["post"]["requestBody"]["content"]
        content["multipart/form-data"] = content.pop("application/json")

    assert changed(move_to_form) == ["POST /reports: request body no longer accepts application/json"]
    assert changed(lambda d: d["paths"]["/reports"]["get"].update(security=[{"bearer": []}])) == [
        "GET /reports: no longer accepts no credentials"
    ]


def test_removed_optional_request_field_breaks_only_a_closed_schema() -> None:
    assert changed(lambda d: props(d, "NewReport").pop("photo_url")) == []

    def close(d: dict[str, Any]) -> None:
        props(d, "NewReport").pop("photo_url")
        schemas(d)["NewReport"]["additionalProperties"] = False

    assert changed(close) == ["POST /reports: request body: field photo_url: no longer accepted"]


def test_compatible_changes_break_nothing() -> None:
    def extend(d: dict[str, Any]) -> None:
        props(d, "NewReport")["address"] = {"type": "string"}  # optional request field
        props(d, "Unit")["population"] = {"type": "integer"}  # response field
        d["paths"]["/wards"] = {"get": {"responses": {"200": {"description": "OK"}}}}  # path
        d["paths"]["/units/{code}"]["get"]["parameters"].append(
            {"name": "fields", "in": "query", "required": False, "schema": {"type": "string"}}
        )
        props(d, "NewReport")["category"]["enum"].append("flood")  # request accepts more
        props(d, "NewReport")["rating"].update(type=["number", "null"])  # request accepts null too
        schemas(d)["Unit"]["required"].append("level")  # response always sends it now

    assert changed(extend) == []


def test_renamed_path_parameter_is_the_same_path() -> None:
    def rename(d: dict[str, Any]) -> None:
        item = d["paths"].pop("/units/{code}")
        item["get"]["parameters"][0]["name"] = "unit_code"
        d["paths"]["/units/{unit_code}"] = item

    assert changed(rename) == []


def test_changed_or_removed_operation_id() -> None:
    # Generated SDKs name their methods after operationIds: renaming one breaks every app that calls it.
    def named(document: dict[str, Any], name: str) -> None:
        document["paths"]["/reports"]["get"]["operationId"] = name

    old = copy.deepcopy(BASE)
    named(old, "reports_list")
    renamed = copy.deepcopy(old)
    named(renamed, "reports_all")
    removed = copy.deepcopy(old)
    del removed["paths"]["/reports"]["get"]["operationId"]
    assert breaking_changes(old, renamed) == [
        "GET /reports: operationId changed from reports_list to reports_all"
    ]
    assert breaking_changes(old, removed) == ["GET /reports: operationId changed from reports_list to none"]
    # An operation that had none may get one.
    assert breaking_changes(BASE, old) == []
