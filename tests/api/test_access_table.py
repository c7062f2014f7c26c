"""docs/access.md is generated from the app: the committed page must be what the code produces."""

from __future__ import annotations

from typer.testing import CliRunner

from api import cli
from api.access_table import ACCESS_TABLE_PATH, generate_access_table


def test_the_committed_access_table_matches_the_code() -> None:
    assert ACCESS_TABLE_PATH.read_text(encoding="utf-8") == generate_access_table(), (
        "docs/access.md differs from the routes: run `smartcity access-table`"
    )


def test_the_table_lists_routes_with_their_policy() -> None:
    table = generate_access_table()
    assert "| POST | `/api/v1/auth/otp/request` | public | anyone |" in table
    assert "| DELETE | `/api/v1/me` | roles(citizen) | citizen |" in table
    assert "| GET | `/api/v1/admin/api-keys` | roles(admin) | admin |" in table
    assert "**MISSING**" not in table


def test_the_check_command_agrees() -> None:
    result = CliRunner().invoke(cli.app, ["access-table", "--check"])
    assert result.exit_code == 0, result.output
    assert "access.md is current" in result.output
