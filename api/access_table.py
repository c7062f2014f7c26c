"""docs/access.md: who may call each route, generated from the app itself so that it cannot drift."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from api.app import create_app
from api.route_access import RouteAccess, route_access
from core.identity.api_keys import SCOPES
from core.settings import PROJECT_ROOT, Profile, Settings

ACCESS_TABLE_PATH: Path = PROJECT_ROOT / "docs" / "access.md"

_HEADER = """# Who may call what

Generated from the application by `smartcity access-table`; do not edit by hand. The test suite fails when
this page differs from the code, and when a route declares no policy (deny by default).

Policies (`core/http/policies.py`):

- **public**: anyone, signed in or not.
- **authenticated**: any signed-in user (`Authorization: Bearer <access token>`).
- **roles(...)**: a signed-in user with one of the listed roles; others get 403 `forbidden`.
  Officers and field staff only see their own unit and the wards under it (403 `outside_unit`).
- **api_key(scope)**: an agency system or integration sending `X-API-Key` with a key that has the scope.
- **token in first message**: a WebSocket that signs in with an access token sent as its first message.
- **none**: Starlette's own pages, listed in `api/route_access.py` with the reason.
"""


def _policy(route: RouteAccess) -> tuple[str, str]:
    if route.policies:
        return ", ".join(p.name for p in route.policies), "; ".join(p.who for p in route.policies)
    if route.unguarded_reason is not None:
        return "none", route.unguarded_reason
    return "**MISSING**", "nobody has decided"


def render_access_table(app: FastAPI) -> str:
    lines = [_HEADER, "| Method | Path | Policy | Who may call |", "|---|---|---|---|"]
    for route in route_access(app):
        policy, who = _policy(route)
        lines.append(f"| {' '.join(route.methods)} | `{route.path}` | {policy} | {who} |")
    lines += ["", "API key scopes (`core/identity/api_keys.py`):", ""]
    lines += [f"- `{name}`: {text.en}" for name, text in SCOPES.items()]
    return "\n".join(lines) + "\n"


def generate_access_table() -> str:
    """The table of the app as the code defines it (no database needed)."""
    return render_access_table(create_app(Settings(profile=Profile.DEVELOPMENT)))
