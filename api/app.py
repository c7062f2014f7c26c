"""The FastAPI application: lifespan, middleware, error handlers and router assembly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import auth_routes, deps, health, policies, push_routes, units_routes
from api.announcements_routes import router as announcements_router
from api.observability import ObservabilityMiddleware
from api.openapi import install_openapi
from api.problems import install_problem_handlers
from api.resources import ResourcesFactory, open_resources
from api.ws import routes as ws_routes
from api.ws.hub import running_hub
from core.logging import configure_logging
from core.settings import Settings, get_settings
from feedback.open311_routes import create_router as create_open311_router
from feedback.routes import create_router as create_feedback_router
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
        # The hub fans the event stream out to this process's WebSocket clients.
        async with resources_factory(resolved) as resources, running_hub(resolved) as hub:
            app.state.resources = resources
            app.state.hub = hub
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
    app.include_router(announcements_router)
    app.include_router(ws_routes.router)
    app.include_router(auth_routes.router)
    app.include_router(push_routes.router)
    app.include_router(create_feedback_router(session=deps.get_session, public=policies.PUBLIC))
    app.include_router(create_open311_router(session=deps.get_session, public=policies.PUBLIC))
    return app
