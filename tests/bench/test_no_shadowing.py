"""No file in bench/ takes the name of a module it could be mistaken for.

Running `python bench/x.py` puts bench/ first on the import path, so a bench/feedback.py would be imported in
place of the `feedback` package by every module of the product that the benchmark loads, and a
bench/statistics.py in place of the standard library's.
"""

from __future__ import annotations

import importlib.machinery
import sys
import tomllib
from pathlib import Path

from core.settings import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench"


def our_packages() -> set[str]:
    """The product's top-level packages, as the wheel lists them."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])


def shadowing(folder: Path) -> dict[str, str]:
    """Each module of `folder` whose name is also a module importable without it, and what it hides."""
    elsewhere = [entry for entry in sys.path if Path(entry or ".").resolve() != folder.resolve()]
    ours = our_packages()
    found: dict[str, str] = {}
    for path in sorted([*folder.glob("*.py"), *(p for p in folder.iterdir() if p.is_dir())]):
        name = path.stem
        if name in ours:
            found[name] = "the product's package"
        elif name in sys.stdlib_module_names or name in sys.builtin_module_names:
            found[name] = "the standard library"
        else:
            spec = importlib.machinery.PathFinder.find_spec(name, elsewhere)
            if spec is not None:
                found[name] = str(spec.origin or spec.submodule_search_locations)
    return found


def test_no_benchmark_file_shadows_a_module() -> None:
    found = shadowing(BENCH)
    assert not found, "\n".join(f"bench/{name}.py hides {what}" for name, what in found.items())


def test_the_check_sees_a_shadowing_file(tmp_path: Path) -> None:
    for name in ("feedback.py", "statistics.py", "asyncpg.py", "ws.py", "units_locate.py"):
        (tmp_path / name).write_text("")
    assert set(shadowing(tmp_path)) == {"feedback", "statistics", "asyncpg"}
