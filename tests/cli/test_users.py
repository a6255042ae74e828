"""`trendmon users` and `trendmon kiosk`: each change lands in the store, bad input is one line."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
from typer.testing import CliRunner

from trendmon.accounts import passwords
from trendmon.cli import app
from trendmon.settings import CoreSettings, load
from trendmon.sinks.factory import open_accounts


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def listed() -> dict[str, dict[str, object]]:
    code, out, _ = run("users", "list")
    assert code == 0
    return {row["name"]: row for row in map(orjson.loads, out.splitlines())}


def test_users_are_added_changed_disabled_and_removed() -> None:
    assert run("users", "add", "ann", "--role", "analyst", "--password-stdin",
               stdin="violet engine morning\n")[0] == 0  # fmt: skip
    assert listed()["ann"]["role"] == "analyst" and listed()["ann"]["password"] is True
    assert "hash" not in str(listed()) and "argon2" not in str(listed())
    assert run("users", "role", "ann", "admin")[0] == 0
    assert run("users", "passwd", "ann", "--password-stdin", stdin="velvet ocean ladder\n")[0] == 0
    store = open_accounts("sqlite", home=load(CoreSettings).home)
    user = store.get_user("ann")
    store.close()
    assert user is not None and user.role == "admin"
    assert passwords.verify(user.password_hash, "velvet ocean ladder")
    assert run("users", "disable", "ann")[0] == 0 and listed()["ann"]["disabled"] is True
    assert run("users", "disable", "ann", "--enable")[0] == 0
    assert listed()["ann"]["disabled"] is False
    assert run("users", "remove", "ann")[0] == 0 and "ann" not in listed()
    _, out, _ = run("users", "audit", "-n", "10")
    events = [orjson.loads(line) for line in out.splitlines()]
    assert [e["action"] for e in events] == [
        "users.remove",
        "users.enable",
        "users.disable",
        "users.passwd",
        "users.role",
        "users.add",
    ]
    assert all(e["target"] == "ann" and e["from"] == "cli" for e in events)
    assert "velvet" not in out and "violet" not in out  # never a password


def test_bad_input_is_one_line_and_no_account() -> None:
    cases = [
        (["users", "add", "bob", "--password-stdin"], "password123\n", "most common"),
        (["users", "add", "bob", "--password-stdin"], "short\n", "too short"),
        (["users", "add", "bob", "--role", "root", "--password-stdin"], "violet engine morning\n",
         "unknown role"),
        (["users", "role", "nobody", "admin"], None, "no account named 'nobody'"),
        (["kiosk", "revoke", "nope"], None, "no kiosk link"),
    ]  # fmt: skip
    for args, stdin, message in cases:
        done = subprocess.run(
            [sys.executable, "-m", "trendmon", *args], input=stdin or "", capture_output=True,
            text=True, env=os.environ, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert listed() == {}


def test_a_kiosk_link_is_printed_once_listed_and_revoked() -> None:
    code, out, _ = run("kiosk", "create", "office TV", "--days", "2", "--url", "https://t.example")
    assert code == 0
    link = out.strip()
    assert link.startswith("https://t.example/kiosk/") and len(link.rsplit("/", 1)[1]) >= 43
    code, out, _ = run("kiosk", "list")
    (row,) = map(orjson.loads, out.splitlines())
    assert row["name"] == "office TV" and row["state"] == "unused"
    assert link.rsplit("/", 1)[1] not in out  # the link is shown once, never listed
    assert run("kiosk", "revoke", row["id"])[0] == 0
    assert orjson.loads(run("kiosk", "list")[1])["state"] == "revoked"


def test_a_sign_in_link_for_an_account() -> None:
    run("users", "add", "cy", "--password-stdin", stdin="violet engine morning\n")
    code, out, _ = run("users", "link", "cy", "--url", "http://h:1")
    assert code == 0 and out.startswith("http://h:1/signin/")


def test_an_api_token_is_printed_once_listed_and_revoked() -> None:
    code, out, _ = run("tokens", "create", "BI export", "--role", "analyst", "--days", "7")
    secret = out.strip()
    assert code == 0 and secret.startswith("tm_")
    code, out, _ = run("tokens", "list")
    (row,) = map(orjson.loads, out.splitlines())
    assert row["role"] == "analyst" and row["revoked"] is False and secret not in out
    assert run("tokens", "revoke", row["id"])[0] == 0
    assert orjson.loads(run("tokens", "list")[1])["revoked"] is True
