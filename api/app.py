"""The FastAPI application: lifespan, middleware, error handlers and router assembly."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import auth_routes, calendar_routes, health, media_routes, push_routes, units_routes
from api.announcements_routes import router as announcements_router
from api.body_limits import BodyLimitMiddleware
from api.lean_routes import LeanRoutesMiddleware
from api.observability import ObservabilityMiddleware
from api.openapi import install_openapi
from api.operations import operation_id
from api.problems import install_problem_handlers
from api.ws import routes as ws_routes
from api.ws.hub import running_hub
from core.http.resources import ResourcesFactory, open_resources
from core.logging import configure_logging
from core.settings import Settings, get_settings
from dossiers.agencies import routes as dossier_agency_routes
from dossiers.catalogue import routes as procedure_routes
from dossiers.citizen import erasure as _dossier_erasure  # noqa: F401  (registers the account cleanup)
from dossiers.citizen import routes as dossier_citizen_routes
from dossiers.figures import routes as dossier_figure_routes
from dossiers.staff import routes as dossier_staff_routes
from dossiers.sync import routes as dossier_sync_routes
from feedback.catalogue import routes as catalogue_routes
from feedback.kpis import routes as kpi_routes
from feedback.lifecycle import routes as lifecycle_routes
from feedback.listing import routes as listing_routes
from feedback.open311 import request_routes as open311_request_routes
from feedback.open311 import routes as open311_routes
from feedback.reports import erasure as _report_erasure  # noqa: F401  (registers the account cleanup)
from feedback.submission import routes as submission_routes
from ioc.alarms import routes as alarm_routes
from ioc.alarms import settings_routes as alert_settings_routes
from ioc.dispatch import field_routes as dispatch_field_routes
from ioc.dispatch import routes as dispatch_routes
from ioc.incidents import routes as incident_routes
from ioc.install import install as install_ioc
from ioc.kpis import routes as ioc_kpi_routes
from ioc.map import routes as map_routes
from ioc.rules import routes as rule_routes
from ioc.wall import routes as wall_routes
from ioc.warnings import routes as warning_routes
from iot.registry import routes as device_routes
from iot.registry.broker_admin import BrokerAdmin
from iot.telemetry import routes as telemetry_routes
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
    # Reports filed here run the operations centre's report hooks (surges, incidents).
    install_ioc()
    # One broker connection per process for device identities; it connects on first use.
    broker_admin = BrokerAdmin(resolved)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The hub fans the event stream out to this process's WebSocket clients.
        async with resources_factory(resolved) as resources, running_hub(resolved) as hub:
            app.state.resources = resources
            app.state.hub = hub
            freeze_startup_objects()
            try:
                yield
            finally:
                await broker_admin.close()

    app = FastAPI(
        title="smartcity API",
        version=CONTRACT_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        # Short, stable operationIds (`feedback_report_by_code`): SDK generators name methods after them.
        generate_unique_id_function=operation_id,
    )
    app.state.broker_admin = broker_admin
    install_problem_handlers(app)
    install_openapi(app)
    if resolved.api_lean_routes:
        # Innermost: a lean route's body is bounded and its request counted and logged like any other's.
        app.add_middleware(LeanRoutesMiddleware, routes=dossier_citizen_routes.LEAN_ROUTES)
    # Added before ObservabilityMiddleware, so it runs inside it: a refused body still has its request id.
    app.add_middleware(BodyLimitMiddleware, settings=resolved)
    app.add_middleware(ObservabilityMiddleware)
    app.include_router(health.router)
    # First: the public dossier lookup is the busiest route, and routes are matched in order.
    app.include_router(dossier_citizen_routes.router)
    app.include_router(media_routes.router)
    app.include_router(units_routes.router)
    app.include_router(calendar_routes.router)
    app.include_router(announcements_router)
    app.include_router(ws_routes.router)
    app.include_router(auth_routes.router)
    app.include_router(push_routes.router)
    app.include_router(catalogue_routes.router)
    # Static paths (/mine, /public, /kpis...) before /{report_id}, which the listing router ends with.
    app.include_router(submission_routes.router)
    app.include_router(lifecycle_routes.router)
    app.include_router(kpi_routes.router)
    app.include_router(listing_routes.router)
    app.include_router(open311_routes.router)
    app.include_router(open311_request_routes.router)
    app.include_router(device_routes.router)
    app.include_router(telemetry_routes.router)
    app.include_router(alarm_routes.router)
    app.include_router(alert_settings_routes.router)
    app.include_router(dispatch_field_routes.router)
    app.include_router(dispatch_routes.router)
    app.include_router(warning_routes.router)
    app.include_router(map_routes.router)
    app.include_router(incident_routes.router)
    app.include_router(ioc_kpi_routes.router)
    app.include_router(rule_routes.router)
    app.include_router(wall_routes.router)
    app.include_router(dossier_agency_routes.router)
    app.include_router(dossier_sync_routes.router)
    app.include_router(procedure_routes.router)
    app.include_router(dossier_figure_routes.router)  # before the staff router's /dossiers/{code}
    app.include_router(dossier_staff_routes.router)  # after every other /api/v1/dossiers/<static> router
    return app


def freeze_startup_objects() -> None:
    """Leave the objects of start-up (routes, models, schemas) out of every later garbage collection.

    A full collection walks every live object; in this process that is hundreds of thousands made at
    start-up and never freed, and each full pass stalled requests for over 100 ms (bench/citizen_reports.py).
    """
    gc.collect()
    gc.freeze()
