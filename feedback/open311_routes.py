"""The read-only Open311 GeoReport v2 endpoints: discovery, the service list and service definitions.

Not `from __future__ import annotations`: the route signatures refer to the session dependency given to
create_router, and FastAPI must see those annotations as objects, not as names to look up in this module.

These routes are the one exception to problem+json errors: Open311 clients expect the spec's own error list,
[{code, description}] or `<errors><error>`, so that is what they answer, in the requested format. For the same
reason they take no parameter FastAPI validates: a path that names no service or format is a 404 in Open311
form, never a 422 problem. The parameters are described in the OpenAPI document by hand instead.
"""

import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.params import Depends as DependsParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Language, Message, pick_language
from feedback import open311, open311_xml, repository
from feedback.models import CATEGORY_CODE_PATTERN
from feedback.open311 import (
    CONTENT_TYPES,
    Format,
    Open311Discovery,
    Open311Error,
    Open311Service,
    Open311ServiceDefinition,
)

SessionProvider = Callable[..., AsyncIterator[AsyncSession]]

JSON_CONTENT, XML_CONTENT = CONTENT_TYPES[Format.JSON], CONTENT_TYPES[Format.XML]
SCHEMA_REF = "#/components/schemas/{model}"


class Open311JSONResponse(JSONResponse):
    # Declared so the OpenAPI document files the JSON bodies under the media type actually sent; the routes
    # build their responses themselves, as the format is only known from the path.
    media_type = JSON_CONTENT


def _xml_schema(root: str, model: type[BaseModel], *, many: bool = False) -> dict[str, Any]:
    ref = {"$ref": SCHEMA_REF.format(model=model.__name__)}
    if many:
        return {"type": "array", "items": ref, "xml": {"name": root, "wrapped": True}}
    return {"allOf": [ref], "xml": {"name": root}}


FORMAT_PARAMETER: dict[str, Any] = {
    "name": "format",
    "in": "path",
    "required": True,
    "description": "json or xml; any other format is a 404 in Open311 JSON form.",
    "schema": {"type": "string", "enum": [item.value for item in Format]},
}
SERVICE_CODE_PARAMETER: dict[str, Any] = {
    "name": "service_code",
    "in": "path",
    "required": True,
    "description": "The service_code from the service list.",
    "schema": {"type": "string", "examples": ["road_damage"]},
}
LANGUAGE_PARAMETER: dict[str, Any] = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    # Open311 has no language field, so the texts follow the header.
    "description": "vi (default) or en, with optional q-values: the language of names and descriptions.",
    "schema": {"type": "string", "examples": ["vi", "en"]},
}
ERRORS_404 = {
    "description": "No such service, or a format other than json and xml: an Open311 error list, in XML "
    "when the format is xml and in JSON otherwise.",
    "model": list[Open311Error],
}


def _openapi(
    parameters: Sequence[dict[str, Any]],
    root: str,
    model: type[BaseModel],
    many: bool = False,
) -> dict[str, Any]:
    return {
        # Public reference data: an empty security requirement says so.
        "security": [],
        "parameters": list(parameters),
        "responses": {
            "200": {"content": {XML_CONTENT: {"schema": _xml_schema(root, model, many=many)}}},
            "404": {"content": {XML_CONTENT: {"schema": _xml_schema("errors", Open311Error, many=True)}}},
        },
    }


def _render(fmt: Format, root: str, document: BaseModel | Sequence[BaseModel], status: int = 200) -> Response:
    if fmt is Format.XML:
        body = open311_xml.render(root, document)
    else:
        data = (
            document.model_dump(mode="json", exclude_none=True)
            if isinstance(document, BaseModel)
            else [item.model_dump(mode="json", exclude_none=True) for item in document]
        )
        body = json.dumps(data, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type=CONTENT_TYPES[fmt])


def _not_found(fmt: Format, message: Message, language: Language) -> Response:
    return _render(fmt, "errors", [Open311Error(code=404, description=message.in_(language))], status=404)


def _format(request: Request) -> Format | None:
    try:
        return Format(request.path_params["format"])
    except ValueError:
        return None


def _unknown_format(language: Language) -> Response:
    # The path names no representation this server has; answered in JSON, the format every client reads.
    return _not_found(
        Format.JSON,
        Message(
            "Định dạng không được hỗ trợ, hãy dùng .json hoặc .xml",
            "Unsupported format: use .json or .xml",
        ),
        language,
    )


# For the other Open311 routers of this package (requests, tokens, updates), which share the formats, the
# rendering and the error documents.
render = _render
request_format = _format
unknown_format = _unknown_format
xml_schema = _xml_schema


def create_router(*, session: SessionProvider, public: DependsParam) -> APIRouter:
    """The Open311 read routes, given the application's request session and its PUBLIC policy."""
    router = APIRouter(prefix=open311.BASE_PATH, tags=["open311"], default_response_class=Open311JSONResponse)

    @router.get(
        "/discovery.{format}",
        response_model=Open311Discovery,
        summary="Open311 discovery: the endpoints, formats and contact of this server",
        responses={404: ERRORS_404},
        openapi_extra=_openapi([FORMAT_PARAMETER, LANGUAGE_PARAMETER], "discovery", Open311Discovery),
        dependencies=[public],
    )
    async def discovery(request: Request) -> Response:
        language = pick_language(request.headers.get("accept-language"))
        fmt = _format(request)
        if fmt is None:
            return _unknown_format(language)
        url = str(request.base_url).rstrip("/") + open311.BASE_PATH
        return _render(fmt, "discovery", open311.discovery(url, language))

    @router.get(
        "/services.{format}",
        response_model=list[Open311Service],
        summary="Open311 service list: the active report categories",
        responses={404: ERRORS_404},
        openapi_extra=_openapi([FORMAT_PARAMETER, LANGUAGE_PARAMETER], "services", Open311Service, many=True),
        dependencies=[public],
    )
    async def services(request: Request, db: Annotated[AsyncSession, Depends(session)]) -> Response:
        language = pick_language(request.headers.get("accept-language"))
        fmt = _format(request)
        if fmt is None:
            return _unknown_format(language)
        categories = await repository.list_active_categories(db)
        return _render(fmt, "services", [open311.service(category, language) for category in categories])

    @router.get(
        "/services/{service_code}.{format}",
        response_model=Open311ServiceDefinition,
        summary="Open311 service definition: the extra questions (attributes) of one report category",
        responses={404: ERRORS_404},
        openapi_extra=_openapi(
            [SERVICE_CODE_PARAMETER, FORMAT_PARAMETER, LANGUAGE_PARAMETER],
            "service_definition",
            Open311ServiceDefinition,
        ),
        dependencies=[public],
    )
    async def service_definition(request: Request, db: Annotated[AsyncSession, Depends(session)]) -> Response:
        language = pick_language(request.headers.get("accept-language"))
        fmt = _format(request)
        if fmt is None:
            return _unknown_format(language)
        code: str = request.path_params["service_code"]
        # Checked before the query: a code that cannot exist is not worth a round trip.
        category = (
            await repository.get_active_category(db, code)
            if re.fullmatch(CATEGORY_CODE_PATTERN, code)
            else None
        )
        if category is None:
            return _not_found(
                fmt, Message(f"Không có dịch vụ mã {code}", f"No service has the code {code}"), language
            )
        return _render(fmt, "service_definition", open311.service_definition(category, language))

    return router
