"""The Open311 GeoReport v2 read endpoints: discovery, services and service definitions, in JSON and XML."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.units.importer import import_units
from feedback.catalogue.seed import seed_catalogue
from feedback.open311 import xml as open311_xml
from feedback.open311.documents import Open311Error
from tests.feedback.catalogue.test_categories import DEMO, RAW

JSON = "application/json; charset=utf-8"
XML = "text/xml; charset=utf-8"
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]
SHIPPED = sorted(RAW["categories"], key=lambda category: category["sort_order"])


@pytest.fixture(autouse=True)
async def seeded(session: AsyncSession) -> None:
    await import_units(session, DEMO)
    await seed_catalogue(session, RAW)
    await session.flush()


def as_json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON
    return response.json()


def as_xml(response: httpx.Response, root: str, status: int = 200) -> ElementTree.Element:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == XML
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    element = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer, no external entities
    assert element.tag == root
    return element


def children(element: ElementTree.Element) -> list[str]:
    return [child.tag for child in element]


def assert_open311_error(body: Any, fragment: str) -> None:
    assert isinstance(body, list)
    assert len(body) == 1
    assert body[0]["code"] == 404
    assert set(body[0]) == {"code", "description"}
    assert fragment in body[0]["description"]


# Discovery -------------------------------------------------------------------------------------------------


async def test_discovery_in_json(client: httpx.AsyncClient) -> None:
    body = as_json(await client.get("/open311/v2/discovery.json"))

    assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
    assert datetime.fromisoformat(body["changeset"]).tzinfo is not None
    assert body["endpoints"] == [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://testserver/open311/v2",
            "changeset": body["changeset"],
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
    ]


async def test_discovery_in_xml(client: httpx.AsyncClient) -> None:
    root = as_xml(await client.get("/open311/v2/discovery.xml"), "discovery")

    assert children(root) == ["changeset", "contact", "key_service", "endpoints"]
    endpoints = root.find("endpoints")
    assert endpoints is not None
    assert children(endpoints) == ["endpoint"]
    endpoint = endpoints[0]
    assert children(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert endpoint.findtext("type") == "production"
    assert [item.text for item in endpoint.iterfind("formats/format")] == ["text/xml", "application/json"]
    assert datetime.fromisoformat(root.findtext("changeset") or "").tzinfo is not None


async def test_the_discovery_url_follows_the_request(client: httpx.AsyncClient) -> None:
    body = as_json(await client.get("https://city.example.vn/open311/v2/discovery.json"))

    assert body["endpoints"][0]["url"] == "https://city.example.vn/open311/v2"


# Services --------------------------------------------------------------------------------------------------


async def test_services_in_json_list_the_active_categories_in_vietnamese(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await session.execute(text("UPDATE feedback_categories SET active = false WHERE code = 'other'"))
    await session.flush()

    body = as_json(await client.get("/open311/v2/services.json"))

    assert [item["service_code"] for item in body] == [c["code"] for c in SHIPPED if c["code"] != "other"]
    assert all(list(item) == SERVICE_FIELDS for item in body)
    road = body[0]
    assert road == {
        "service_code": "road_damage",
        "service_name": "Hư hỏng đường, vỉa hè",
        "description": SHIPPED[0]["description_vi"],
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(SHIPPED[0]["keywords"]),
        "group": "infrastructure",
    }
    by_code = {item["service_code"]: item for item in body}
    assert by_code["traffic"]["metadata"] is False


@pytest.mark.parametrize("language", ["en", "en-GB,vi;q=0.5"])
async def test_services_in_english(client: httpx.AsyncClient, language: str) -> None:
    body = as_json(await client.get("/open311/v2/services.json", headers={"Accept-Language": language}))

    assert (body[0]["service_name"], body[0]["description"]) == (
        "Road and pavement damage",
        SHIPPED[0]["description_en"],
    )


async def test_services_in_xml(client: httpx.AsyncClient) -> None:
    root = as_xml(await client.get("/open311/v2/services.xml"), "services")

    assert set(children(root)) == {"service"}
    assert [service.findtext("service_code") for service in root] == [c["code"] for c in SHIPPED]
    assert all(children(service) == SERVICE_FIELDS for service in root)
    by_code = {service.findtext("service_code"): service for service in root}
    assert by_code["road_damage"].findtext("service_name") == "Hư hỏng đường, vỉa hè"
    assert (by_code["road_damage"].findtext("metadata"), by_code["traffic"].findtext("metadata")) == (
        "true",
        "false",
    )
    assert by_code["waste"].findtext("type") == "realtime"
    assert by_code["waste"].findtext("group") == "environment"


# Service definitions ---------------------------------------------------------------------------------------


async def test_a_service_definition_in_json_maps_the_questions(client: httpx.AsyncClient) -> None:
    body = as_json(await client.get("/open311/v2/services/road_damage.json"))

    assert list(body) == ["service_code", "attributes"]
    assert body["service_code"] == "road_damage"
    size, lanes = body["attributes"]
    assert size == {
        "variable": True,
        "code": "size",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "Chọn một giá trị",
        "order": 1,
        "description": "Kích thước hư hỏng",
        "values": [
            {"key": "small", "name": "Nhỏ (dưới 0,5 m)"},
            {"key": "medium", "name": "Vừa (0,5 đến 2 m)"},
            {"key": "large", "name": "Lớn (trên 2 m)"},
        ],
    }
    # Values are given for the list datatypes only.
    assert list(lanes) == ATTRIBUTE_FIELDS
    assert (lanes["code"], lanes["datatype"], lanes["required"], lanes["order"]) == (
        "lanes_blocked",
        "number",
        False,
        2,
    )


@pytest.mark.parametrize(
    ("code", "datatype"),
    [
        ("lighting", "text"),
        ("flooding", "number"),
        ("trees", "singlevaluelist"),
        ("waste", "multivaluelist"),
    ],
)
async def test_each_question_type_has_its_open311_datatype(
    client: httpx.AsyncClient, code: str, datatype: str
) -> None:
    body = as_json(await client.get(f"/open311/v2/services/{code}.json"))

    attribute = body["attributes"][0]
    assert attribute["datatype"] == datatype
    assert ("values" in attribute) is datatype.endswith("valuelist")


async def test_the_order_is_the_position_even_when_order_values_tie(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await session.execute(
        text("""
        UPDATE feedback_categories
        SET questions = (SELECT jsonb_agg(q || '{"order": 0}') FROM jsonb_array_elements(questions) AS q)
        WHERE code = 'road_damage'
    """)
    )
    await session.flush()

    body = as_json(await client.get("/open311/v2/services/road_damage.json"))

    # Ties are broken by code, as for our own clients.
    assert [(a["code"], a["order"]) for a in body["attributes"]] == [("lanes_blocked", 1), ("size", 2)]


async def test_a_service_without_questions_has_no_attributes(client: httpx.AsyncClient) -> None:
    body = as_json(await client.get("/open311/v2/services/traffic.json"))

    assert body == {"service_code": "traffic", "attributes": []}


async def test_a_service_definition_in_english(client: httpx.AsyncClient) -> None:
    response = await client.get("/open311/v2/services/waste.json", headers={"Accept-Language": "en"})

    attribute = as_json(response)["attributes"][0]
    assert (attribute["description"], attribute["datatype_description"]) == (
        "Kind of waste",
        "Choose one or more values",
    )
    assert attribute["values"][0] == {"key": "household", "name": "Household waste"}


async def test_a_service_definition_in_xml(client: httpx.AsyncClient) -> None:
    root = as_xml(await client.get("/open311/v2/services/road_damage.xml"), "service_definition")

    assert children(root) == ["service_code", "attributes"]
    assert root.findtext("service_code") == "road_damage"
    attributes = root.find("attributes")
    assert attributes is not None
    assert children(attributes) == ["attribute", "attribute"]
    size, lanes = attributes
    assert children(size) == [*ATTRIBUTE_FIELDS, "values"]
    flags = (size.findtext("variable"), size.findtext("required"), size.findtext("order"))
    assert flags == ("true", "true", "1")
    assert [(value.findtext("key"), value.findtext("name")) for value in size.iterfind("values/value")] == [
        ("small", "Nhỏ (dưới 0,5 m)"),
        ("medium", "Vừa (0,5 đến 2 m)"),
        ("large", "Lớn (trên 2 m)"),
    ]
    assert all(children(value) == ["key", "name"] for value in size.iterfind("values/value"))
    assert children(lanes) == ATTRIBUTE_FIELDS
    assert (lanes.findtext("datatype"), lanes.findtext("required")) == ("number", "false")


# Errors ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["parking", "Road_Damage", "x"])
async def test_an_unknown_service_code_is_an_open311_404_in_json(
    client: httpx.AsyncClient, code: str
) -> None:
    body = as_json(await client.get(f"/open311/v2/services/{code}.json"), status=404)

    assert_open311_error(body, code)


async def test_an_unknown_service_code_is_an_open311_404_in_xml(client: httpx.AsyncClient) -> None:
    response = await client.get("/open311/v2/services/parking.xml", headers={"Accept-Language": "en"})

    root = as_xml(response, "errors", status=404)
    assert children(root) == ["error"]
    assert children(root[0]) == ["code", "description"]
    assert root[0].findtext("code") == "404"
    assert root[0].findtext("description") == "No service has the code parking"


async def test_an_inactive_service_is_not_found(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await session.execute(text("UPDATE feedback_categories SET active = false WHERE code = 'trees'"))
    await session.flush()

    assert_open311_error(as_json(await client.get("/open311/v2/services/trees.json"), status=404), "trees")


@pytest.mark.parametrize(
    "path",
    [
        "/open311/v2/discovery.csv",
        "/open311/v2/services.html",
        "/open311/v2/services/road_damage.JSON",
    ],
)
async def test_an_unsupported_format_is_an_open311_404_in_json(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Accept-Language": "en"})

    assert_open311_error(as_json(response, status=404), "Unsupported format")


async def test_xml_text_is_escaped_and_stripped_of_characters_xml_cannot_carry() -> None:
    body = open311_xml.render("errors", [Open311Error(code=404, description='<a> & \x01 "b"')])

    root = ElementTree.fromstring(body)  # noqa: S314 - rendered here, no external entities
    assert root.findtext("error/description") == '<a> & \ufffd "b"'
