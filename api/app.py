"""The FastAPI application: lifespan, middleware, error handlers and router assembly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import health, units_routes
from api.observability import ObservabilityMiddleware
from api.openapi import install_openapi
from api.problems import install_problem_handlers
from api.resources import ResourcesFactory, open_resources
from core.logging import configure_logging
from core.settings import Settings, get_settings
from mobile_contract import CONTRACT_VERSION

DESCRIPTION = """
Backend of the province's smart-city programme: citizen reports, administrative dossiers, IoT ingestion
and the intelligent operations centre (IOC).

Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json` documents with a
stable `code`. Send `Accept-Language: vi` (default) or `en` to choose the language of `title` and `detail`.
"""


def create_app(
    settings: Settings | None = None, *, resources_factory: ResourcesFactory = open_resources
) -> FastAPI:
    resolved = settings or get_settings()
    configure_logging(resolved.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with resources_factory(resolved) as resources:
            app.state.resources = resources
            yield

    app = FastAPI(
        title="smartcity API",
        version=CONTRACT_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    install_openapi(app)
    app.add_middleware(ObservabilityMiddleware)
    app.include_router(health.router)
    app.include_router(units_routes.router)
    return app
