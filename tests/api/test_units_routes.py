from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from shapely.geometry import shape

from tests.support.units import DEMO

WARD_CODES = sorted(f["properties"]["code"] for f in DEMO["features"] if f["properties"]["level"] == "ward")


def demo_shape(code: str) -> Any:
    return next(shape(f["geometry"]) for f in DEMO["features"] if f["properties"]["code"] == code)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["instance"] == response.request.url.path
    return body


@pytest.mark.usefixtures("units")
async def test_list_all_units(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/units")

    assert response.status_code == 200
    units = response.json()
    assert [u["code"] for u in units] == [*WARD_CODES, "37"]
    nam_dinh = units[0]
    assert nam_dinh == {
        "code": "13666",
        "name": "Phường Nam Định",
        "name_en": "Nam Dinh Ward",
        "level": "ward",
        "parent_code": "37",
        "centroid": nam_dinh["centroid"],
        "demo_geometry": True,
    }
    assert demo_shape("13666").contains(
        shape({"type": "Point", "coordinates": [nam_dinh["centroid"]["lon"], nam_dinh["centroid"]["lat"]]})
    )


@pytest.mark.usefixtures("units")
@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({"level": "province"}, ["37"]),
        ({"level": "ward"}, WARD_CODES),
        ({"parent_code": "37"}, WARD_CODES),
        ({"level": "ward", "parent_code": "01"}, []),
    ],
)
async def test_list_filters_by_level_and_parent(
    client: httpx.AsyncClient, query: dict[str, str], codes: list[str]
) -> None:
    response = await client.get("/api/v1/units", params=query)
    assert response.status_code == 200
    assert [u["code"] for u in response.json()] == codes


@pytest.mark.parametrize("query", [{"level": "district"}, {"parent_code": "3"}, {"parent_code": "13666"}])
async def test_list_rejects_bad_filters(client: httpx.AsyncClient, query: dict[str, str]) -> None:
    response = await client.get("/api/v1/units", params=query)
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["location"] == ["query", next(iter(query))]


@pytest.mark.usefixtures("units")
async def test_a_unit_is_a_geojson_feature_with_its_boundary(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/units/13984")

    assert response.status_code == 200
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["id"] == "13984"
    assert feature["properties"]["name"] == "Phường Hồng Quang"
    assert feature["properties"]["parent_code"] == "37"
    assert feature["geometry"]["type"] == "MultiPolygon"
    served = shape(feature["geometry"])
    assert served.symmetric_difference(demo_shape("13984")).area < 1e-12


@pytest.mark.usefixtures("units")
async def test_the_province_is_a_feature_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/units/37")
    assert response.status_code == 200
    assert response.json()["properties"]["level"] == "province"
    assert response.json()["properties"]["parent_code"] is None


@pytest.mark.usefixtures("units")
async def test_an_unknown_unit_is_a_404_problem(client: httpx.AsyncClient) -> None:
    vietnamese = assert_problem(await client.get("/api/v1/units/99999"), 404, "unit_not_found")
    english = assert_problem(
        await client.get("/api/v1/units/99999", headers={"accept-language": "en-GB,en;q=0.9"}),
        404,
        "unit_not_found",
    )
    assert vietnamese["title"] == "Không tìm thấy đơn vị hành chính"
    assert "99999" in vietnamese["detail"]
    assert english["title"] == "Administrative unit not found"
    assert english["detail"] == "No administrative unit has the code 99999"


@pytest.mark.parametrize("code", ["abc", "123", "3", "136666", "13 66"])
async def test_a_code_of_the_wrong_shape_is_a_422_problem(client: httpx.AsyncClient, code: str) -> None:
    body = assert_problem(await client.get(f"/api/v1/units/{code}"), 422, "validation_error")
    assert body["errors"][0]["location"] == ["path", "code"]


@pytest.mark.usefixtures("units")
async def test_locate_a_point_in_the_city_centre(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/units/locate", params={"lat": 20.433, "lon": 106.176})

    assert response.status_code == 200
    body = response.json()
    assert body["ward"]["code"] == "13666"
    assert body["ward"]["name_en"] == "Nam Dinh Ward"
    assert body["province"]["code"] == "37"


@pytest.mark.usefixtures("units")
@pytest.mark.parametrize("code", WARD_CODES)
async def test_locate_finds_each_ward(client: httpx.AsyncClient, code: str) -> None:
    point = demo_shape(code).representative_point()
    response = await client.get("/api/v1/units/locate", params={"lat": point.y, "lon": point.x})
    assert response.status_code == 200
    assert response.json()["ward"]["code"] == code


@pytest.mark.usefixtures("units")
async def test_locate_outside_the_province_is_a_404_problem_in_the_callers_language(
    client: httpx.AsyncClient,
) -> None:
    params = {"lat": 21.03, "lon": 105.85}  # Hà Nội
    vietnamese = assert_problem(
        await client.get("/api/v1/units/locate", params=params), 404, "outside_province"
    )
    english = assert_problem(
        await client.get("/api/v1/units/locate", params=params, headers={"accept-language": "en"}),
        404,
        "outside_province",
    )
    assert vietnamese["title"] == "Vị trí nằm ngoài địa bàn tỉnh"
    assert english["title"] == "The location is outside the province"
    assert english["detail"] == "The point (21.03, 105.85) is in none of the provinces served"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "91", "lon": "106"}, "lat"),
        ({"lat": "-90.5", "lon": "106"}, "lat"),
        ({"lat": "20", "lon": "180.01"}, "lon"),
        ({"lat": "20", "lon": "-181"}, "lon"),
        ({"lat": "nan", "lon": "106"}, "lat"),
        ({"lat": "20", "lon": "inf"}, "lon"),
        ({"lat": "north", "lon": "106"}, "lat"),
        ({"lon": "106"}, "lat"),
    ],
)
async def test_locate_rejects_bad_coordinates(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    body = assert_problem(await client.get("/api/v1/units/locate", params=params), 422, "validation_error")
    assert [error["pointer"] for error in body["errors"]] == [f"/{field}"]


async def test_metrics_label_unit_routes_with_their_full_template(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/units/99999")
    metrics = (await client.get("/metrics")).text
    assert 'route="/api/v1/units/{code}",status="404"' in metrics


def test_the_openapi_document_declares_the_problems(app: FastAPI) -> None:
    document = app.openapi()
    paths = document["paths"]
    for path, status, code in [
        ("/api/v1/units/{code}", "404", "unit_not_found"),
        ("/api/v1/units/locate", "404", "outside_province"),
        ("/api/v1/units/locate", "422", "validation_error"),
        ("/api/v1/units", "422", "validation_error"),
    ]:
        response = paths[path]["get"]["responses"][status]
        schema = response["content"]["application/problem+json"]["schema"]
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        assert "code" in schema["properties"], (path, status)
        assert status == "422" or code in response["description"]
    assert paths["/api/v1/units/locate"]["get"]["security"] == []
