"""The Dockerfile and .dockerignore build the image the compose file expects."""

from __future__ import annotations

import re
import tomllib

from core.settings import PROJECT_ROOT
from tests.deploy.files import (
    BOOTSTRAP,
    DOCKERIGNORE,
    PREFIX,
    dockerfile_cmd,
    dockerfile_env,
    dockerfile_stages,
    final_stage,
    instructions,
    interpolate,
    option,
)

# --- Dockerfile and .dockerignore ---------------------------------------------------------------------------


def test_dockerfile_serves_the_api_as_a_non_root_user() -> None:
    stage = final_stage()
    cmd = dockerfile_cmd()
    assert cmd[:2] == ["smartcity", "serve"]
    assert option(cmd, "--host") == "0.0.0.0"
    users = instructions("USER", stage)
    assert users, "the final stage must switch to a non-root USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert any("/health" in check for check in instructions("HEALTHCHECK", stage))
    assert dockerfile_env()[f"{PREFIX}PROFILE"] == "production"


def test_dockerfile_uses_python_311_slim() -> None:
    defaults = dict(arg.split("=", 1) for arg in instructions("ARG", dockerfile_stages()[0]) if "=" in arg)
    bases = [interpolate(f.split()[0], defaults) for f in instructions("FROM")]
    assert bases
    assert all(base.startswith("python:3.11-slim") for base in bases)


def test_dockerfile_installs_the_locked_dependencies_with_the_bootstrap_uv() -> None:
    runs = instructions("RUN")
    pinned = re.search(r"^UV_VERSION=(\S+)$", BOOTSTRAP.read_text(), flags=re.MULTILINE)
    assert pinned is not None, "scripts/bootstrap.sh no longer pins UV_VERSION"
    args = dict(arg.split("=", 1) for arg in instructions("ARG") if "=" in arg)
    installs = [interpolate(run, args) for run in runs if "pip install" in run and "uv==" in run]
    assert installs
    assert all(f'"uv=={pinned[1]}"' in run for run in installs)
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs
    assert all("--frozen" in run and "--no-dev" in run for run in syncs)


def test_dockerfile_copies_every_package_and_the_lock() -> None:
    copied = {
        word.rstrip("/")
        for arguments in instructions("COPY")
        if "--from" not in arguments
        for word in arguments.split()[:-1]
    }
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    packages = set(pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    assert packages | {"data", "pyproject.toml", "uv.lock", "README.md"} <= copied
    missing = sorted(source for source in copied if not (PROJECT_ROOT / source).exists())
    assert not missing, f"COPY sources missing from the repository: {missing}"


def test_dockerignore_keeps_state_and_secrets_out_but_not_what_the_image_needs() -> None:
    lines = DOCKERIGNORE.read_text().splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert {".state", ".venv", ".git", ".env", "tests", "bench", "docs"} <= ignored
    copied = {w.rstrip("/") for a in instructions("COPY") if "--from" not in a for w in a.split()[:-1]}
    assert not copied & ignored
