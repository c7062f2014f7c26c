"""Readers for the production stack's files: compose interpolation, the Dockerfile, the broker config."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from core.settings import PROJECT_ROOT, Settings

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
MOSQUITTO_CONF = PROJECT_ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
MOSQUITTO_ACL = PROJECT_ROOT / "deploy" / "mosquitto" / "acl"
MOSQUITTO_ENTRYPOINT = PROJECT_ROOT / "deploy" / "mosquitto" / "entrypoint.sh"
BOOTSTRAP = PROJECT_ROOT / "scripts" / "bootstrap.sh"

PREFIX = str(Settings.model_config.get("env_prefix", ""))
SETTINGS_VARIABLES = frozenset(PREFIX + name.upper() for name in Settings.model_fields)
APP_SERVICES = ("migrate", "api", "worker", "ingest")
SECRET_VARIABLES = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "SMARTCITY_MQTT_PASSWORD", "SMARTCITY_SECRET_KEY")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$|AUTH|TOKEN")
POSTGRES_PORT = 5432
REDIS_PORT = 6379


# --- Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$ ----

Compose = dict[str, Any]
Services = dict[str, dict[str, Any]]

REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariableError(Exception):
    pass


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def resolve(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        value = env.get(name)
        if op in {":?", "?"} and (value is None or (op == ":?" and not value)):
            raise MissingVariableError(f"{name}: {arg}")
        if op == ":-" and not value:
            return arg
        if op == "-" and value is None:
            return arg
        return value or ""

    # `$$` is a literal dollar for the container's shell, never a reference.
    return "$".join(REFERENCE.sub(resolve, part) for part in text.split("$$"))


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    return node


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def is_required_reference(value: str) -> bool:
    match = REFERENCE.fullmatch(value)
    return match is not None and match["op"] == ":?"


def url_password(value: str) -> str | None:
    """The password of a URL whose parts may be references (whose `?` would otherwise start the query)."""
    references: list[str] = []

    def token(match: re.Match[str]) -> str:
        references.append(match[0])
        return f"REF{len(references) - 1}REF"

    password = urlsplit(REFERENCE.sub(token, value)).password
    if password is None:
        return None
    return re.sub(r"REF(\d+)REF", lambda m: references[int(m[1])], password)


# --- Reading the files --------------------------------------------------------------------------------------


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(str(item).split("=", 1) for item in raw)
    return {str(key): "" if value is None else str(value) for key, value in raw.items()}


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool


def mounts(service: Mapping[str, Any]) -> dict[str, Mount]:
    found: dict[str, Mount] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, str):
            parts = volume.split(":")
            mount = Mount(parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(","))
        else:
            mount = Mount(str(volume["source"]), str(volume["target"]), bool(volume.get("read_only")))
        found[mount.target] = mount
    return found


def container_ports(service: Mapping[str, Any]) -> list[int]:
    found: list[int] = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            found.append(int(port["target"]))
        else:
            found.append(int(str(port).split("/")[0].rsplit(":", 1)[-1]))
    return found


def mosquitto_settings() -> dict[str, str]:
    """The first value of each keyword of deploy/mosquitto/mosquitto.conf (all this file uses)."""
    found: dict[str, str] = {}
    for line in MOSQUITTO_CONF.read_text().splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            found.setdefault(words[0], " ".join(words[1:]))
    return found


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def dockerfile_stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped, one list per stage."""
    stages: list[list[Instruction]] = [[]]
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.strip().startswith("#"):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending.strip():
            keyword, _, arguments = pending.strip().partition(" ")
            if keyword.upper() == "FROM":
                stages.append([])
            stages[-1].append(Instruction(keyword.upper(), " ".join(arguments.split())))
        pending = ""
    return stages


def final_stage() -> list[Instruction]:
    return dockerfile_stages()[-1]


def instructions(keyword: str, stage: list[Instruction] | None = None) -> list[str]:
    chosen = stage if stage is not None else [i for s in dockerfile_stages() for i in s]
    return [instruction.arguments for instruction in chosen if instruction.keyword == keyword]


def dockerfile_env() -> dict[str, str]:
    found: dict[str, str] = {}
    for arguments in instructions("ENV", final_stage()):
        for word in shlex.split(arguments):
            name, _, value = word.partition("=")
            found[name] = value
    return found


def dockerfile_cmd() -> list[str]:
    cmd = json.loads(instructions("CMD", final_stage())[-1])
    assert isinstance(cmd, list), "CMD must be in exec (JSON) form so the server gets signals directly"
    return [str(word) for word in cmd]


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def env_file_values(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            values[name.strip()] = value.strip()
    return values


def env_file_names(path: Path) -> set[str]:
    """Every variable the file sets or documents in a commented-out assignment."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", path.read_text(), flags=re.MULTILINE))


def required_variables(node: Any) -> set[str]:
    return {m["name"] for text in strings(node) for m in REFERENCE.finditer(text) if m["op"] in {":?", "?"}}


def all_variables(node: Any) -> set[str]:
    return {m["name"] for text in strings(node) for m in REFERENCE.finditer(text)}


def container_settings(monkeypatch: pytest.MonkeyPatch, api_env: Mapping[str, str]) -> Settings:
    """Settings as the API container builds them: the image's ENV, overridden by the service's environment."""
    for name, value in {**dockerfile_env(), **api_env}.items():
        if name.startswith(PREFIX):
            monkeypatch.setenv(name, value)
    return Settings(_env_file=None)
