"""``trendmon secrets``: a key to set, and rotation of the embedded key file and of
TRENDMON_SECRETS_KEYS, read back from the raw store."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from trendmon.cli import app


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def raw(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.glob("alerts.sqlite3*")))


SLACK = "https://hooks.slack.com/services/T0001/B0002/slackcredential42"


def test_generate_prints_a_working_key_each_time_new() -> None:
    first, second = cli("secrets", "generate")[1].strip(), cli("secrets", "generate")[1].strip()
    assert first != second
    assert Fernet(first.encode()).decrypt(Fernet(first.encode()).encrypt(b"x")) == b"x"


def test_the_embedded_key_file_is_private_and_rotates(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, out, errs = cli("alerts", "add", SLACK, "--format", "slack")
    assert code == 0, errs
    sub_id = json.loads(out)["id"]
    key_file = home / "secrets.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    old_key = key_file.read_text().strip()
    assert b"slackcredential42" not in raw(home)

    code, out, errs = cli("secrets", "rotate")
    assert code == 0, errs
    assert json.loads(out)["subscriptions_resealed"] == 1
    new_key = key_file.read_text().strip()
    assert new_key != old_key and "\n" not in new_key  # the old key is gone from the file
    # Readable with the new key alone, and the record is no longer under the old one.
    code, out, errs = cli("alerts", "list")
    assert code == 0 and json.loads(out)["id"] == sub_id, errs
    key_file.write_text(old_key + "\n")
    code, _, errs = cli("alerts", "list")
    assert code == 2 and "sealed with another key" in errs
    assert b"slackcredential42" not in raw(home)


def test_rotating_environment_keys_moves_every_record_to_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("TRENDMON_SECRETS_KEYS", old)
    for n in range(3):
        assert cli("alerts", "add", f"{SLACK}{n}", "--format", "slack")[0] == 0
    assert not (home / "secrets.key").exists()  # the environment's key, no file

    monkeypatch.setenv("TRENDMON_SECRETS_KEYS", f"{new},{old}")
    code, out, errs = cli("secrets", "rotate")
    assert code == 0, errs
    assert json.loads(out)["subscriptions_resealed"] == 3
    assert "remove the old ones" in errs
    monkeypatch.setenv("TRENDMON_SECRETS_KEYS", new)
    code, out, errs = cli("alerts", "list")
    assert code == 0, errs
    assert len(out.splitlines()) == 3
    monkeypatch.setenv("TRENDMON_SECRETS_KEYS", old)
    code, _, errs = cli("alerts", "list")
    assert code == 2 and "TRENDMON_SECRETS_KEYS" in errs
    # The rotation is in the audit log, and neither key nor URL is printed by settings.
    code, out, _ = cli("users", "audit")
    assert "secrets.rotate" in out
    code, out, _ = cli("settings")
    assert new not in out and old not in out


@pytest.mark.services
def test_the_distributed_store_without_keys_says_what_to_set(
    mongo_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRENDMON_MONGO_URI", mongo_uri)
    monkeypatch.setenv("TRENDMON_MONGO_DATABASE", "secrets_cli_test")
    try:
        code, _, errs = cli("alerts", "add", SLACK, "--format", "slack", "--mongo")
        assert code == 2 and "TRENDMON_SECRETS_KEYS is not set" in errs
        assert "secrets generate" in errs
    finally:
        from pymongo import MongoClient

        with MongoClient(mongo_uri) as client:
            client.drop_database("secrets_cli_test")
