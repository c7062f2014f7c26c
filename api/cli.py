"""The `smartcity` command: run the API, migrate, seed, import units, create an admin, export the mobile
contract and the access table."""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from core.settings import Profile, Settings, get_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="smartcity backend")
config_app = typer.Typer(no_args_is_help=True, help="Show the configuration.")
contract_app = typer.Typer(no_args_is_help=True, help="The contract phones and devices rely on.")
app.add_typer(config_app, name="config")
app.add_typer(contract_app, name="contract")


@config_app.command("shell")
def config_shell() -> None:
    """Print the local stack's ports and credentials as shell assignments (used by scripts/)."""
    settings = get_settings()
    db = urlsplit(settings.database_dsn)
    redis = urlsplit(settings.redis_dsn)
    values = {
        "SMARTCITY_STATE_DIR": str(settings.state_dir),
        "SMARTCITY_PG_PORT": str(db.port or 5432),
        "SMARTCITY_PG_USER": db.username or "smartcity",
        "SMARTCITY_PG_PASSWORD": db.password or "",
        "SMARTCITY_PG_DATABASE": db.path.lstrip("/") or "smartcity",
        "SMARTCITY_REDIS_PORT": str(redis.port or 6379),
        "SMARTCITY_MQTT_PORT": str(settings.mqtt_port),
        "SMARTCITY_MQTT_USERNAME": settings.mqtt_username,
        "SMARTCITY_MQTT_PASSWORD": settings.mqtt_password.get_secret_value(),
        "SMARTCITY_API_HOST": settings.api_host,
        "SMARTCITY_API_PORT": str(settings.api_port),
    }
    for key, value in values.items():
        typer.echo(f"{key}={shlex.quote(value)}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Run the HTTP API."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        # Refuse oversized WebSocket frames in the protocol layer, before they are buffered for the app.
        ws_max_size=settings.ws_max_message_bytes,
    )


@app.command()
def worker(
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            help="Run only these loops (relay, push, sla, devices, rules, alerts, dispatch, incidents); "
            "default: all.",
        ),
    ] = None,
) -> None:
    """Run the background worker: the outbox relay (events to the Redis Stream) and the push dispatcher."""
    from api.worker import LOOPS, start

    names = only or list(LOOPS)
    unknown = sorted(set(names) - set(LOOPS))
    if unknown:
        raise typer.BadParameter(f"unknown loop(s): {', '.join(unknown)}; known: {', '.join(LOOPS)}")
    start(get_settings(), names)


@app.command()
def ingest(
    client_id: Annotated[
        str | None, typer.Option("--client-id", help="MQTT client id, fixed per consumer.")
    ] = None,
    group: Annotated[str | None, typer.Option(help="Shared subscription group (default: settings).")] = None,
) -> None:
    """Run one MQTT consumer: device messages into the database, acknowledged after commit (SIGTERM stops)."""
    from ioc.rules.hooks import batch_hook
    from iot.ingest.runner import start as start_ingest

    named = (("ingest_client_id", client_id), ("ingest_group", group))
    updates = {key: value for key, value in named if value}
    for value in updates.values():
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
            raise typer.BadParameter(f"{value!r}: 1 to 64 letters, digits, dashes or underscores")
    settings = get_settings().model_copy(update=updates)
    # The operations centre's rules run in each batch's transaction (iot never imports ioc).
    start_ingest(settings, hook=batch_hook(settings) if settings.ioc_rules_in_ingest else None)


@app.command()
def simulate(
    per_type: Annotated[int, typer.Option("--per-type", min=1, help="Devices of each type.")] = 3,
    mode: Annotated[str, typer.Option(help="devices: a connection each; gateway: shared ones.")] = "devices",
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help=(
                "Messages/s over the fleet (default: a report every 5 s per device; gateway: as "
                "fast as possible)."
            ),
        ),
    ] = None,
    duration: Annotated[float | None, typer.Option(min=1, help="Seconds; default: until stopped.")] = None,
    incidents: Annotated[bool, typer.Option("--incidents/--no-incidents", help="Scripted incidents.")] = True,
    publishers: Annotated[int, typer.Option(min=1, max=16, help="Gateway publisher processes.")] = 2,
    seed: Annotated[int, typer.Option(help="Seed of placement and readings.")] = 5,
) -> None:
    """Simulate the province's cameras and sensors over MQTT, with daily patterns and scripted incidents."""
    from iot.simulator.run import Plan, run_devices, run_gateway

    if mode not in ("devices", "gateway"):
        raise typer.BadParameter("--mode must be devices or gateway")
    plan = Plan(
        mode=mode,
        per_type=per_type,
        rate=rate,
        duration=duration,
        incidents=incidents,
        publishers=publishers,
        seed=seed,
    )
    if mode == "devices":
        sent = run_devices(get_settings(), plan)
        typer.echo(f"published {sent} messages")
        return
    stats = run_gateway(get_settings(), plan)
    typer.echo(
        f"published {stats.sent} messages, {stats.acked} acknowledged, {stats.failed} refused, "
        f"{stats.rate:.0f} msg/s"
    )


@app.command()
def migrate() -> None:
    """Upgrade the database to the newest migration."""
    from migrations.runner import upgrade

    upgrade(get_settings().database_dsn)
    typer.echo("database is at the newest migration")


@app.command("import-units")
def import_units(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="GeoJSON file.")],
) -> None:
    """Load administrative units (provinces, wards) with their boundaries from a GeoJSON FeatureCollection.

    Every feature is checked first; if any is invalid nothing is imported.
    """
    from core.units.importer import UnitImportError, import_units_file

    try:
        count = asyncio.run(import_units_file(get_settings(), file))
    except UnitImportError as exc:
        for problem in exc.problems:
            where = "file" if problem.index < 0 else f"feature {problem.index}"
            typer.echo(f"{where}: {problem.reason}", err=True)
        typer.echo(f"nothing imported: {len(exc.problems)} problem(s)", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"imported {count} administrative units")


@app.command()
def seed() -> None:
    """Load the demo province, its report categories, the starting alert rules and the sample procedure
    catalogue (idempotent)."""
    from core.units.importer import import_units_file
    from dossiers.catalogue.seed import seed_procedures_file
    from feedback.catalogue.seed import seed_catalogue_file
    from ioc.rules.seed import seed_rules_file

    settings = get_settings()
    count = asyncio.run(import_units_file(settings, settings.demo_units_file))
    typer.echo(f"demo province loaded: {count} administrative units")
    # After the units: each department refers to the province it serves.
    catalogue = asyncio.run(seed_catalogue_file(settings))
    typer.echo(
        f"report catalogue loaded: {catalogue.departments} departments, {catalogue.categories} categories"
    )
    # After the categories: a surge rule names one.
    typer.echo(f"alert rules created: {asyncio.run(seed_rules_file(settings))}")
    typer.echo(f"procedure catalogue loaded: {asyncio.run(seed_procedures_file(settings))} procedures")
    if settings.profile is Profile.DEVELOPMENT:
        # After the procedures: the demo dossiers are of the sample catalogue's procedures.
        _seed_demo_dossiers(settings)
        _seed_demo_officer(settings)


def _seed_demo_officer(settings: Settings) -> None:
    from ioc.wall.demo import seed_demo_officer

    officer = asyncio.run(seed_demo_officer(settings))
    state = "created" if officer.created else "kept"
    typer.echo(
        f"demo officer {state}: sign in to the wall at /ioc as {officer.username} / {officer.password}"
    )


def _seed_demo_dossiers(settings: Settings) -> None:
    from dossiers.sync.demo import seed_demo_dossiers_file

    demo = asyncio.run(seed_demo_dossiers_file(settings))
    typer.echo(f"demo dossiers created: {demo.dossiers} across {demo.agencies} agencies")
    for sample in demo.samples:
        factors = f"phone ending {sample.phone_last4}"
        if sample.id_last4:
            factors += f" or ID number ending {sample.id_last4}"
        typer.echo(f"  try the lookup: {sample.code} (status {int(sample.status)}) with {factors}")


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="The admin's username (stored in lower case).")],
    display_name: Annotated[str | None, typer.Option(help="The name people see.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
) -> None:
    """Create an admin account, e.g. the first one. Exit 1 when the username exists, 2 on invalid input.

    The password is prompted for (hidden), or read with --password-stdin; it is never an argument, which
    would leave it in the shell history and the process list.
    """
    from core.identity.passwords import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, USERNAME_PATTERN

    if not re.fullmatch(USERNAME_PATTERN, username):
        typer.echo("invalid username: 3 to 64 letters, digits, dots, dashes or underscores", err=True)
        raise typer.Exit(code=2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        typer.echo(
            f"the password must have {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters", err=True
        )
        raise typer.Exit(code=2)
    from core.errors import ProblemError

    try:
        user_id = asyncio.run(_create_admin(username, password, display_name))
    except ProblemError as exc:
        typer.echo(f"not created: {exc.detail.en if exc.detail else exc.code}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"admin {username.lower()} created ({user_id})")


async def _create_admin(username: str, password: str, display_name: str | None) -> str:
    from datetime import UTC, datetime

    from core.db import create_engine, create_sessionmaker
    from core.identity import service
    from core.identity.principal import Role

    engine = create_engine(get_settings())
    try:
        async with create_sessionmaker(engine)() as session:
            user = await service.create_staff(
                session,
                username=username,
                password=password,
                role=Role.ADMIN,
                unit_code=None,
                display_name=display_name,
                now=datetime.now(UTC),
            )
            # The command is the unit of work here, as the request is in the API.
            await session.commit()
            return str(user.id)
    finally:
        await engine.dispose()


@app.command("access-table")
def access_table(
    check: Annotated[bool, typer.Option("--check", help="Only compare; exit 1 when it is stale.")] = False,
) -> None:
    """Write docs/access.md, the table of who may call each route, from the code."""
    from api.access_table import ACCESS_TABLE_PATH, generate_access_table

    text = generate_access_table()
    if check:
        current = ACCESS_TABLE_PATH.read_text(encoding="utf-8") if ACCESS_TABLE_PATH.exists() else ""
        if current != text:
            typer.echo(
                f"{ACCESS_TABLE_PATH.name} differs from the code: run `smartcity access-table`", err=True
            )
            raise typer.Exit(code=1)
        typer.echo(f"{ACCESS_TABLE_PATH.name} is current")
        return
    ACCESS_TABLE_PATH.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {ACCESS_TABLE_PATH}")


@contract_app.command("export")
def contract_export() -> None:
    """Write mobile_contract/openapi.json from the code."""
    from api.contract import export_openapi

    path = export_openapi()
    typer.echo(f"wrote {path}")


@contract_app.command("check")
def contract_check() -> None:
    """Fail when the committed contract differs from the code or breaks the previous version."""
    from api.contract import check_contract

    problems = check_contract()
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(code=1)
    typer.echo("contract is current and compatible")


def main() -> None:
    app(prog_name="smartcity")


if __name__ == "__main__":
    main()
