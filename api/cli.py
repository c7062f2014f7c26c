"""The `smartcity` command: run the API, migrate, seed, import units, export the mobile contract."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from core.settings import get_settings

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
    """Load the demo province (idempotent)."""
    from core.units.importer import import_units_file

    settings = get_settings()
    count = asyncio.run(import_units_file(settings, settings.demo_units_file))
    typer.echo(f"demo province loaded: {count} administrative units")


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
