"""The direction of imports between our packages: api -> domains -> core; a cycle is a design bug."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

OURS = {"core", "api", "feedback", "dossiers", "iot", "ioc", "mobile_contract", "migrations"}

ALLOWED: dict[str, set[str]] = {
    "mobile_contract": set(),
    "core": {"mobile_contract"},
    "feedback": {"core", "mobile_contract"},
    "dossiers": {"core", "mobile_contract"},
    "iot": {"core", "mobile_contract"},
    "ioc": {"core", "iot", "feedback", "dossiers", "mobile_contract"},
    "migrations": {"core", "feedback", "dossiers", "iot", "ioc", "mobile_contract"},
    "api": OURS,
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    violations = []
    for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
        for imported in imported_packages(path) - ALLOWED[package] - {package}:
            violations.append(f"{path.relative_to(PROJECT_ROOT)} imports {imported}")
    assert not violations, "\n".join(violations)


def test_the_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import api.app\nfrom ioc import rules\nfrom . import sibling\nimport json\n")
    assert imported_packages(sample) == {"api", "ioc"}
