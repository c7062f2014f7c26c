"""The OpenAPI document phones rely on: generated from the code, exported to mobile_contract/openapi.json, and
checked for drift and for changes that would break clients built against the exported version.

The exported file records the contract version in info.version. A breaking change (see mobile_contract.compat)
is accepted only together with a greater major part of mobile_contract.CONTRACT_VERSION.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import click

import mobile_contract
from api.app import create_app
from core.settings import Profile, Settings
from mobile_contract import CONTRACT_VERSION
from mobile_contract.compat import breaking_changes, is_major_bump

OPENAPI_PATH = Path(mobile_contract.__file__).resolve().parent / "openapi.json"
EXPORT_HINT = "run `smartcity contract export`"
BUMP_HINT = "bump the major part of CONTRACT_VERSION in mobile_contract/__init__.py"


# A ClickException, so that `smartcity contract export` prints the reasons and exits with status 1 rather than
# showing a traceback.
class ContractBreakError(click.ClickException):
    """The code's document breaks clients of the exported one, and the contract's major is unchanged."""

    def __init__(self, reasons: list[str], exported_version: str, version: str) -> None:
        self.reasons = reasons
        lines = "\n".join(f"  - {reason}" for reason in reasons)
        super().__init__(
            f"refusing to export: {len(reasons)} breaking change(s) against contract {exported_version} "
            f"while CONTRACT_VERSION is {version}; {BUMP_HINT} if clients must follow:\n{lines}"
        )


def generate_openapi(version: str = CONTRACT_VERSION) -> dict[str, Any]:
    """The OpenAPI document of the API as the code defines it (no database or broker needed)."""
    # Explicit development settings: the document must not depend on the environment it is exported from,
    # and the production profile would refuse to start without real secrets.
    app = create_app(Settings(profile=Profile.DEVELOPMENT))
    document = copy.deepcopy(app.openapi())
    document["info"]["version"] = version
    return document


def render(document: dict[str, Any]) -> str:
    """The exported text: sorted keys for reviewable diffs, Vietnamese kept readable, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_openapi(target: Path = OPENAPI_PATH, *, version: str = CONTRACT_VERSION) -> Path:
    """Write the code's document to `target`, unless it breaks the one exported there under the same major."""
    document = generate_openapi(version)
    exported = _read(target)
    if exported is not None:
        reasons = _unannounced_breaks(exported, document, version)
        if reasons:
            raise ContractBreakError(reasons, _version_of(exported), version)
    target.write_text(render(document), encoding="utf-8")
    return target


def check_contract(target: Path = OPENAPI_PATH, *, version: str = CONTRACT_VERSION) -> list[str]:
    """Problems with the exported document: missing, unlike the code, or broken without a major bump."""
    if not target.exists():
        return [f"{target.name} does not exist: {EXPORT_HINT}"]
    document = generate_openapi(version)
    problems: list[str] = []
    text = target.read_text(encoding="utf-8")
    if text != render(document):
        problems.append(f"{target.name} differs from what the code produces: {EXPORT_HINT}")
    exported = json.loads(text)
    reasons = _unannounced_breaks(exported, document, version)
    if reasons:
        problems.append(
            f"breaking changes against contract {_version_of(exported)} while CONTRACT_VERSION is {version}: "
            f"{BUMP_HINT} if clients must follow, or keep the old behaviour"
        )
        problems.extend(f"breaking: {reason}" for reason in reasons)
    return problems


def _unannounced_breaks(exported: dict[str, Any], document: dict[str, Any], version: str) -> list[str]:
    reasons = breaking_changes(exported, document)
    if reasons and is_major_bump(_version_of(exported), version):
        return []
    return reasons


def _read(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _version_of(document: dict[str, Any]) -> str:
    return str(document.get("info", {}).get("version", "0.0.0"))
