"""All SQL lives in repositories: a module that is not a repository neither builds statements nor runs them.

A repository is a module named `repository.py` (or a module inside a `repository/` package). Services,
routes and tasks call repository functions; they may use the ORM's unit of work (`session.add`, `flush`,
`get`, `commit` in a task's own transaction), but not `select(...)`, `text(...)` or `.execute(...)`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

# Every package of the product. Not checked, by their nature: migrations/ (DDL and data fixes written as SQL),
# bench/ (times statements directly, against a baseline of its own).
PACKAGES = ("core", "api", "feedback", "dossiers", "iot", "ioc", "mobile_contract")

# Statement builders, wherever they are imported from (sqlalchemy, sqlmodel, the PostgreSQL dialect).
BUILDERS = {"select", "insert", "update", "delete", "text", "union", "union_all", "values", "exists"}
SQL_MODULES = ("sqlalchemy", "sqlmodel")
# Calls that send SQL: AsyncSession/AsyncConnection (execute, exec, scalar, scalars, stream...) and asyncpg.
RUNNERS = {
    "execute",
    "exec",
    "scalar",
    "scalars",
    "stream",
    "stream_scalars",
    "executemany",
    "fetch",
    "fetchrow",
    "fetchval",
    "copy_records_to_table",
    "copy_to_table",
    "copy_from_query",
}
# Objects whose `.execute()` is not SQL: Redis pipelines and transactions; and an HTTP request, whose
# `.stream()` is its body.
NOT_SQL_RECEIVERS = {"pipe", "pipeline", "transaction", "tx", "request"}

# Table definitions may use `text` for server defaults and index predicates: DDL, not a statement.
TABLE_DEFINITIONS = {"models.py", "db.py"}

# Modules that may run SQL outside a repository, each with the reason.
EXCEPTIONS: dict[str, str] = {
    "iot/ingest/writer.py": "the ingest writer's COPY path: staging, COPY and merge on its own asyncpg "
    "connection, one transaction per batch; the hot path that bench/ingest.py measures",
}


def is_repository(relative: Path) -> bool:
    return relative.name == "repository.py" or "repository" in relative.parts[:-1]


def sql_uses(path: Path) -> list[str]:
    """What in the module builds or runs SQL, as `line: what`, in line order."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    allowed = {"text"} if path.name in TABLE_DEFINITIONS else set()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in SQL_MODULES:
            for alias in node.names:
                if alias.name in BUILDERS - allowed:
                    found.append((node.lineno, f"imports {alias.name} from {node.module}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RUNNERS
            and _receiver(node.func.value) not in NOT_SQL_RECEIVERS
        ):
            found.append((node.lineno, f"calls .{node.func.attr}()"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def violations(package: str) -> list[str]:
    found: list[str] = []
    for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT)
        if is_repository(relative) or relative.as_posix() in EXCEPTIONS:
            continue
        found.extend(f"{relative}:{use}" for use in sql_uses(path))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_only_repositories_touch_sql(package: str) -> None:
    found = violations(package)
    assert not found, "SQL outside a repository:\n" + "\n".join(found)


def test_every_exception_still_exists() -> None:
    missing = [name for name in EXCEPTIONS if not (PROJECT_ROOT / name).is_file()]
    assert not missing, f"exceptions for modules that are gone: {missing}"


def test_the_checker_sees_sql(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy import select, func\n"
        "from sqlmodel import col\n"
        "async def f(session, pipe):\n"
        "    await session.execute(select(1))\n"
        "    await pipe.execute()\n"
        "    await connection.fetchrow('SELECT 1')\n"
    )
    assert sql_uses(sample) == [
        "1: imports select from sqlalchemy",
        "4: calls .execute()",
        "6: calls .fetchrow()",
    ]


def test_table_definitions_may_use_text_for_defaults(tmp_path: Path) -> None:
    models = tmp_path / "models.py"
    models.write_text("from sqlalchemy import text, select\n")
    assert sql_uses(models) == ["1: imports select from sqlalchemy"]


def test_a_repository_is_known_by_its_name() -> None:
    assert is_repository(Path("feedback/reports/repository.py"))
    assert is_repository(Path("iot/telemetry/repository/partitions.py"))
    assert not is_repository(Path("feedback/reports/service.py"))
