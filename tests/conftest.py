"""Shared fixtures.

The real services (Kafka, FerretDB, Redis) come from ``make services`` (``scripts/services.sh
start``). Their addresses come from the environment, else from the ``env`` file that script
writes. A test that needs a service which does not answer fails in CI (``CI=true``) and skips
elsewhere, saying why.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest


def _services_env() -> dict[str, str]:
    """KEY=VALUE lines that ``scripts/services.sh start`` wrote, if any."""
    run_dir = os.environ.get("TRENDMON_SERVICES_DIR")
    path = Path(run_dir) if run_dir else Path.home() / ".cache" / "trendmon" / "run"
    try:
        lines = (path / "env").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _service_url(variable: str, service: str, check: Callable[[str], object]) -> str:
    url = os.environ.get(variable) or _services_env().get(variable)
    if not url:
        problem = f"{service}: {variable} is not set and no services are running"
    else:
        try:
            check(url)
            return url
        except Exception as exc:
            problem = f"{service} at {url} does not answer ({type(exc).__name__}: {exc!s:.150})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem}; start the test services with `make services`", pytrace=False)
    pytest.skip(f"{problem}; run `make services` to test against it")


def _check_kafka(bootstrap: str) -> None:
    from kafka.admin import KafkaAdminClient

    host, _, port = bootstrap.split(",")[0].rpartition(":")
    # Fail fast when nothing listens: kafka-python retries for 30 s before giving up.
    socket.create_connection((host, int(port)), timeout=3).close()

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        admin.describe_cluster()
    finally:
        admin.close()


def _check_mongo(uri: str) -> None:
    from pymongo import MongoClient

    with MongoClient(uri, serverSelectionTimeoutMS=3000) as client:
        client.admin.command("ping")


def _check_redis(url: str) -> None:
    import redis

    with redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3) as client:
        client.ping()


SHARED_DATA = (Path(__file__).resolve().parents[1] / "../shared/data").resolve()
"""Real data beside the repo (``shared/data``), never copied into it."""


def _shared_folder(name: str, what: str) -> Path:
    folder = SHARED_DATA / name
    if not folder.is_dir():
        message = f"{what} not found at {folder} (shared/ beside the repo)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def shared_data() -> Callable[[str], Path]:
    """The one way tests reach real data in shared/data: ``shared_data("timeseries")`` is that
    folder (the test skips when it is absent, and fails in CI, where it must be there)."""
    return lambda name: _shared_folder(name, f"shared data {name!r}")


@pytest.fixture(scope="session")
def timeseries(shared_data: Callable[[str], Path]) -> Path:
    """Real observations of the same videos over time in shared/data/timeseries."""
    return shared_data("timeseries")


@pytest.fixture(scope="session")
def account_exports(shared_data: Callable[[str], Path]) -> Path:
    """Real TikTok analytics exports of creators' own accounts (shared/data/account-analytics,
    described by its FORMATS.md)."""
    return shared_data("account-analytics")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """``host:port`` of the test Kafka broker."""
    return _service_url("TRENDMON_TEST_KAFKA", "Kafka", _check_kafka)


@pytest.fixture(scope="session")
def mongo_uri() -> str:
    """MongoDB URI of the test FerretDB (or a real mongod)."""
    return _service_url("TRENDMON_TEST_MONGODB_URI", "MongoDB (FerretDB)", _check_mongo)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the test Redis."""
    return _service_url("TRENDMON_TEST_REDIS_URL", "Redis", _check_redis)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test sees default settings and its own TRENDMON_HOME, whatever the shell has set."""
    for name in list(os.environ):
        if name.startswith("TRENDMON_") and not name.startswith(
            ("TRENDMON_TEST_", "TRENDMON_SERVICES", "TRENDMON_PURE_PYTHON")
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRENDMON_HOME", str(tmp_path / "home"))
