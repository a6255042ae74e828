"""docker-compose.yml, as Docker Compose itself resolves it (`docker compose config`).

No Docker engine is needed: ``config`` parses, validates and interpolates the file, resolves the
YAML anchors and prints the result as JSON, which these tests read. Compose v2 comes from
``make compose-tool`` (``scripts/compose-tool.sh``); without it these tests fail in CI
(``CI=true``) and skip elsewhere, saying why.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main

from trendmon.cli import app
from trendmon.settings import COMPONENTS

REPO = Path(__file__).parents[1]
COMPOSE_FILE = REPO / "docker-compose.yml"

TRENDMON_SERVICES = {"producer": "simulate", "worker": "worker", "dashboard": "dashboard"}
DATA_SERVICES = {"kafka": "apache/kafka:3.9.1", "redis": "redis:7", "mongo": "mongo:7"}


def _compose_command() -> list[str] | None:
    """``docker compose`` or ``docker-compose``, whichever is Compose v2 or newer."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        proc = subprocess.run(
            [*command, "version", "--short"], capture_output=True, text=True, timeout=60
        )
        major = re.match(r"v?(\d+)\.", proc.stdout.strip())
        if proc.returncode == 0 and major and int(major.group(1)) >= 2:
            return command
    return None


def _resolve(tmp_path: Path, **variables: str) -> dict[str, Any]:
    """The file as ``docker compose config --format json`` prints it, with only ``variables``
    (and none of the shell's TRENDMON_* or COMPOSE_* variables, nor a ./.env) to interpolate."""
    command = _compose_command()
    if command is None:
        problem = (
            "Docker Compose v2 is not installed (neither `docker compose` nor `docker-compose`)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}; `make compose-tool` installs it", pytrace=False)
        pytest.skip(f"{problem}; run `make compose-tool` to install it")
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TRENDMON_", "COMPOSE_"))
    }
    proc = subprocess.run(
        [
            *command,
            "--env-file",
            str(empty_env_file),
            "-f",
            str(COMPOSE_FILE),
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env={**env, **variables},
        timeout=60,
    )
    assert proc.returncode == 0, f"`{' '.join(command)} config` refused the file:\n{proc.stderr}"
    config: dict[str, Any] = json.loads(proc.stdout)
    return config


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Any]:
    return _resolve(tmp_path)


@pytest.fixture
def services(config: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = config["services"]
    return found


def _setting_names() -> set[str]:
    """Every TRENDMON_* variable that trendmon reads (as ``trendmon settings`` lists them)."""
    return {
        (cls.model_config.get("env_prefix", "") + name).upper()
        for cls in COMPONENTS.values()
        for name in cls.model_fields
    }


def _kafka_listeners(kafka: dict[str, Any], variable: str) -> dict[str, str]:
    """``NAME://host:port,...`` as {NAME: "host:port"}."""
    listeners = {}
    for item in kafka["environment"][variable].split(","):
        name, _, address = item.partition("://")
        listeners[name] = address
    return listeners


def test_the_stack_has_its_services(services: dict[str, Any]) -> None:
    assert set(services) == set(DATA_SERVICES) | set(TRENDMON_SERVICES)
    for name, image in DATA_SERVICES.items():
        assert services[name]["image"] == image
    images = {services[name]["image"] for name in TRENDMON_SERVICES}
    assert len(images) == 1, f"the trendmon services run different images: {images}"
    for name in TRENDMON_SERVICES:
        build = services[name]["build"]
        assert Path(build["context"]) == REPO
        assert (Path(build["context"]) / build["dockerfile"]).is_file()
        assert services[name]["restart"] == "unless-stopped"
        assert services[name]["init"] is True, f"{name}: Python as PID 1 ignores SIGTERM"
    for name in DATA_SERVICES:
        assert services[name]["restart"] == "unless-stopped"


def test_the_worker_can_be_scaled(services: dict[str, Any]) -> None:
    worker = services["worker"]
    # `--scale worker=3` cannot give three containers one name, one host port or one hostname.
    assert "container_name" not in worker
    assert not worker.get("ports")
    assert "hostname" not in worker
    # Nor should replicas share a data volume: each worker keeps its own state.
    assert not [m for m in worker.get("volumes", []) if m["type"] == "volume"]
    assert worker.get("deploy", {}).get("replicas", 1) == 1


def test_every_dependency_is_waited_for_until_healthy(services: dict[str, Any]) -> None:
    depended_on = set()
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            depended_on.add(dependency)
            assert dependency in services, f"{name} depends on an unknown service {dependency}"
            assert how["condition"] == "service_healthy", f"{name} -> {dependency}: {how}"
    assert depended_on == set(DATA_SERVICES)
    for name in depended_on:
        check = services[name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
        assert check["test"][0] in ("CMD", "CMD-SHELL")
    for name in TRENDMON_SERVICES:
        assert "kafka" in services[name]["depends_on"], f"{name} starts before Kafka"
    for name in ("worker", "dashboard"):
        assert {"kafka", "redis", "mongo"} <= set(services[name]["depends_on"])


def test_the_health_checks_ask_each_server(services: dict[str, Any]) -> None:
    kafka = services["kafka"]["healthcheck"]["test"]
    assert kafka[1] == "/opt/kafka/bin/kafka-broker-api-versions.sh"
    port = _kafka_listeners(services["kafka"], "KAFKA_LISTENERS")["PLAINTEXT"].rpartition(":")[2]
    assert kafka[2:] == ["--bootstrap-server", f"localhost:{port}"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    mongo = services["mongo"]["healthcheck"]["test"]
    assert mongo[:3] == ["CMD", "mongosh", "--quiet"] and "ping" in mongo[-1]
    # The dashboard's image has Python, not curl: the check is a Python one-liner on its port.
    dashboard = services["dashboard"]["healthcheck"]["test"]
    assert dashboard[:3] == ["CMD", "python", "-c"]
    ast.parse(dashboard[3])
    assert "http://127.0.0.1:8050/" in dashboard[3]


def test_kafka_runs_one_kraft_node(services: dict[str, Any]) -> None:
    env = services["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert not [name for name in env if "ZOOKEEPER" in name]
    listeners = _kafka_listeners(services["kafka"], "KAFKA_LISTENERS")
    controller_port = listeners[env["KAFKA_CONTROLLER_LISTENER_NAMES"]].rpartition(":")[2]
    assert (
        env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:{controller_port}"
    )
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(listeners) == set(protocols)
    advertised = _kafka_listeners(services["kafka"], "KAFKA_ADVERTISED_LISTENERS")
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] not in advertised
    assert advertised["PLAINTEXT"] == f"kafka:{listeners['PLAINTEXT'].rpartition(':')[2]}"
    # One broker: internal topics with one replica, or the group coordinator never starts.
    for name in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[name] == "1", name
    # The storage is formatted once with CLUSTER_ID: it must be a base64 UUID (16 bytes).
    assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16
    # Published on this host's loopback only.
    for port in services["kafka"].get("ports", []):
        assert port["host_ip"] == "127.0.0.1"
        assert advertised["EXTERNAL"] == f"localhost:{port['published']}"


def test_the_data_lives_in_named_volumes(config: dict[str, Any]) -> None:
    services = config["services"]
    declared = set(config["volumes"])
    mounts = {
        name: {
            m["source"]: m["target"] for m in service.get("volumes", []) if m["type"] == "volume"
        }
        for name, service in services.items()
    }
    assert mounts["kafka"] == {"kafka-data": services["kafka"]["environment"]["KAFKA_LOG_DIRS"]}
    assert mounts["redis"] == {"redis-data": "/data"}
    assert services["redis"]["command"] == ["redis-server", "--appendonly", "yes"]
    assert mounts["mongo"] == {"mongo-data": "/data/db"}
    used = {source for by_service in mounts.values() for source in by_service}
    assert used == declared == {"kafka-data", "redis-data", "mongo-data"}


def test_every_trendmon_service_uses_the_distributed_runtime(services: dict[str, Any]) -> None:
    kafka = services["kafka"]
    internal = _kafka_listeners(kafka, "KAFKA_ADVERTISED_LISTENERS")["PLAINTEXT"]
    for name in TRENDMON_SERVICES:
        env = services[name]["environment"]
        assert env["TRENDMON_BUS"] == "kafka", name
        assert env["TRENDMON_KAFKA_BOOTSTRAP_SERVERS"].split(",") == [internal], name
        assert int(env["TRENDMON_KAFKA_REPLICATION"]) == 1, f"{name}: one broker, one replica"
        assert int(env["TRENDMON_KAFKA_PARTITIONS"]) >= 3, f"{name}: too few for --scale worker=3"
        redis = urlsplit(env["TRENDMON_REDIS_URL"])
        assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379), name
        mongo = urlsplit(env["TRENDMON_MONGO_URI"])
        assert (mongo.scheme, mongo.hostname, mongo.port) == ("mongodb", "mongo", 27017), name
        assert env["TRENDMON_MONGO_DATABASE"], name
        assert env["TRENDMON_HOME"].startswith("/"), name
    # The same settings everywhere (the x-trendmon-env anchor), plus each service's own.
    shared = set.intersection(*(set(services[name]["environment"]) for name in TRENDMON_SERVICES))
    assert {"TRENDMON_BUS", "TRENDMON_KAFKA_BOOTSTRAP_SERVERS", "TRENDMON_REDIS_URL"} <= shared


def test_every_trendmon_variable_is_a_real_setting(services: dict[str, Any]) -> None:
    settings = _setting_names()
    # In the resolved environments, and anywhere in the file (interpolations, comments).
    resolved = {name for s in services.values() for name in s.get("environment") or {}}
    named = set(re.findall(r"\bTRENDMON_[A-Z0-9_]*[A-Z0-9]", COMPOSE_FILE.read_text()))
    unknown = sorted({name for name in resolved | named if name.startswith("TRENDMON_")} - settings)
    assert not unknown, f"not settings of trendmon (see `trendmon settings`): {unknown}"
    assert {"TRENDMON_BUS", "TRENDMON_KAFKA_BOOTSTRAP_SERVERS"} <= named


def test_the_dashboard_is_published_on_8050(services: dict[str, Any]) -> None:
    dashboard = services["dashboard"]
    env = dashboard["environment"]
    assert env["TRENDMON_DASHBOARD_HOST"] == "0.0.0.0"
    assert env["TRENDMON_DASHBOARD_PORT"] == "8050"
    # On the host's loopback unless told otherwise: the dashboard has no accounts yet.
    assert [(p.get("host_ip"), p["published"], p["target"]) for p in dashboard["ports"]] == [
        ("127.0.0.1", "8050", 8050)
    ]
    published = [name for name, s in services.items() if s.get("ports")]
    assert sorted(published) == ["dashboard", "kafka"]


def _cli_command(name: str) -> Any:
    """The parser of ``trendmon NAME``, or None when the command line has no such command."""
    commands: dict[str, Any] = getattr(typer.main.get_command(app), "commands", {})
    return commands.get(name)


@pytest.mark.parametrize("service", sorted(TRENDMON_SERVICES))
def test_the_commands_are_real_cli_commands(services: dict[str, Any], service: str) -> None:
    command = services[service]["command"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert command[0] == "trendmon" and "trendmon" in scripts
    assert command[1] == TRENDMON_SERVICES[service]
    cli = _cli_command(command[1])
    if cli is None:
        pytest.skip(f"`trendmon {command[1]}` is not in the command line yet")
    # The real parser: an unknown option or a bad value raises here.
    params = cli.make_context(command[1], list(command[2:])).params
    if service == "producer":
        assert params["bus"] == "kafka"
        assert params["realtime"] is True, "a --fast simulator would replay one world and exit"
        assert params["out"] is None, "the producer publishes to the bus"


def test_values_can_be_set_when_starting(tmp_path: Path) -> None:
    defaults = _resolve(tmp_path)["services"]
    assert defaults["producer"]["environment"]["TRENDMON_SIM_SPEED"] == "60"
    custom = _resolve(tmp_path, TRENDMON_SIM_SPEED="5", TRENDMON_KAFKA_PARTITIONS="12")["services"]
    assert custom["producer"]["environment"]["TRENDMON_SIM_SPEED"] == "5"
    for name in TRENDMON_SERVICES:
        assert custom[name]["environment"]["TRENDMON_KAFKA_PARTITIONS"] == "12"
    exposed = _resolve(tmp_path, DASHBOARD_PUBLISH="8050")["services"]["dashboard"]["ports"]
    assert [(p.get("host_ip"), p["published"], p["target"]) for p in exposed] == [
        (None, "8050", 8050)
    ]


def test_the_image_runs_trendmon_as_a_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert stages and all(image == "python:3.11-slim" for image in stages)
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    users = re.findall(r"^USER (\S+)", final, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), "the image runs as root"
    assert re.search(r"pip install [^\n]*\.", dockerfile), "the image does not install trendmon"
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    assert "*" in ignored and "!trendmon/" in ignored and "!pyproject.toml" in ignored
