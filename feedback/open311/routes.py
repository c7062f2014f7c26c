"""The read-only Open311 GeoReport v2 endpoints: discovery, the service list and service definitions.

They answer errors in the spec's own form and take no parameter FastAPI validates (see
feedback/open311/rendering.py); the parameters are described in the OpenAPI document by hand
(feedback/open311/openapi.py).
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response

from core.errors import Message
from core.http.deps import SessionDep
from core.http.policies import PUBLIC
from feedback.catalogue import repository as catalogue
from feedback.catalogue.models import CATEGORY_CODE_PATTERN
from feedback.open311 import documents
from feedback.open311.documents import Open311Discovery, Open311Service, Open311ServiceDefinition
from feedback.open311.openapi import (
    ERRORS_404,
    FORMAT_PARAMETER,
    LANGUAGE_PARAMETER,
    SERVICE_CODE_PARAMETER,
    read_doc,
)
from feedback.open311.rendering import Open311FormatRoute, Open311JSONResponse, Wanted, not_found, render

router = APIRouter(
    prefix=documents.BASE_PATH,
    tags=["open311"],
    default_response_class=Open311JSONResponse,
    route_class=Open311FormatRoute,
)


@router.get(
    "/discovery.{format}",
    response_model=Open311Discovery,
    summary="Open311 discovery: the endpoints, formats and contact of this server",
    responses={404: ERRORS_404},
    openapi_extra=read_doc([FORMAT_PARAMETER, LANGUAGE_PARAMETER], "discovery", Open311Discovery),
    dependencies=[PUBLIC],
)
async def discovery(request: Request, wanted: Wanted) -> Response:
    url = str(request.base_url).rstrip("/") + documents.BASE_PATH
    return render(wanted.format, "discovery", documents.discovery(url, wanted.language))


@router.get(
    "/services.{format}",
    response_model=list[Open311Service],
    summary="Open311 service list: the active report categories",
    responses={404: ERRORS_404},
    openapi_extra=read_doc([FORMAT_PARAMETER, LANGUAGE_PARAMETER], "services", Open311Service, many=True),
    dependencies=[PUBLIC],
)
async def services(db: SessionDep, wanted: Wanted) -> Response:
    categories = await catalogue.list_active_categories(db)
    return render(
        wanted.format, "services", [documents.service(category, wanted.language) for category in categories]
    )


@router.get(
    "/services/{service_code}.{format}",
    response_model=Open311ServiceDefinition,
    summary="Open311 service definition: the extra questions (attributes) of one report category",
    responses={404: ERRORS_404},
    openapi_extra=read_doc(
        [SERVICE_CODE_PARAMETER, FORMAT_PARAMETER, LANGUAGE_PARAMETER],
        "service_definition",
        Open311ServiceDefinition,
    ),
    dependencies=[PUBLIC],
)
async def service_definition(request: Request, db: SessionDep, wanted: Wanted) -> Response:
    code: str = request.path_params["service_code"]
    # Checked before the query: a code that cannot exist is not worth a round trip.
    category = (
        await catalogue.get_active_category(db, code) if re.fullmatch(CATEGORY_CODE_PATTERN, code) else None
    )
    if category is None:
        return not_found(
            wanted.format,
            Message(f"Không có dịch vụ mã {code}", f"No service has the code {code}"),
            wanted.language,
        )
    return render(
        wanted.format, "service_definition", documents.service_definition(category, wanted.language)
    )
