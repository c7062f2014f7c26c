"""Administrative units: list, read, and locate a point. Public and read-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from core.errors import Message, ProblemError
from core.http import policies
from core.http.deps import SessionDep
from core.http.responses import PUBLIC_OPENAPI, problem
from core.units import repository
from core.units.models import UnitLevel
from core.units.schemas import Location, UnitFeature, UnitSummary

router = APIRouter(prefix="/api/v1/units", tags=["units"])

# The problem body of each declared error is added to the OpenAPI document by api.openapi.
UNIT_NOT_FOUND = problem(404, "No unit has this code (code unit_not_found)")
OUTSIDE_PROVINCE = problem(404, "No province contains the point (code outside_province)")

ProvinceCode = Annotated[str, Query(pattern=r"^[0-9]{2}$", description="Only the wards of this province.")]
UnitCode = Annotated[
    str,
    Path(
        pattern=r"^([0-9]{2}|[0-9]{5})$",
        description="2 digits for a province, 5 for a ward.",
        examples=["13666"],
    ),
]
Latitude = Annotated[float, Query(ge=-90, le=90, description="WGS 84 latitude, degrees.", examples=[20.43])]
Longitude = Annotated[
    float, Query(ge=-180, le=180, description="WGS 84 longitude, degrees.", examples=[106.18])
]


@router.get(
    "",
    response_model=list[UnitSummary],
    summary="List administrative units",
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[policies.PUBLIC],
)
async def list_units(
    session: SessionDep, level: UnitLevel | None = None, parent_code: ProvinceCode | None = None
) -> list[UnitSummary]:
    return await repository.list_units(session, level=level, parent_code=parent_code)


@router.get(
    "/locate",
    response_model=Location,
    summary="Which ward and which province contain a point",
    responses=OUTSIDE_PROVINCE,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[policies.PUBLIC],
)
async def locate(session: SessionDep, lat: Latitude, lon: Longitude) -> Location:
    location = await repository.locate(session, lon=lon, lat=lat)
    if location is None:
        raise ProblemError(
            404,
            "outside_province",
            Message(
                f"Điểm ({lat}, {lon}) không thuộc tỉnh nào trong hệ thống",
                f"The point ({lat}, {lon}) is in none of the provinces served",
            ),
        )
    return location


@router.get(
    "/{code}",
    response_model=UnitFeature,
    summary="An administrative unit with its boundary, as a GeoJSON Feature",
    responses=UNIT_NOT_FOUND,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[policies.PUBLIC],
)
async def get_unit(session: SessionDep, code: UnitCode) -> UnitFeature:
    feature = await repository.get_unit_feature(session, code)
    if feature is None:
        raise ProblemError(
            404,
            "unit_not_found",
            Message(f"Không có đơn vị hành chính mã {code}", f"No administrative unit has the code {code}"),
        )
    return feature
