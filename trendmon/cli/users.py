"""``trendmon users``: the dashboard's accounts (admin, analyst, viewer), and the audit log.

There is no default account and no default password. Passwords are asked twice on a terminal
(never on the command line, where other users could see them) or read from stdin with
``--password-stdin``.
"""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from trendmon.accounts import audit, sessions, users
from trendmon.accounts.roles import ROLES
from trendmon.accounts.store import AccountStore
from trendmon.cli.common import HomeOption, err, print_jsonl
from trendmon.settings import CoreSettings, load

RoleArg = Annotated[str, typer.Argument(help=f"One of {', '.join(ROLES)}.")]
NameArg = Annotated[str, typer.Argument(help="Account name (lowercase letters, digits, ._@-).")]
StdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
]

app = typer.Typer(help="Accounts of the dashboard: add, list, role, passwd, disable, remove.")


def open_store(home: Path | None) -> AccountStore:
    """The account store of the runtime under ``home`` (SQLite; MongoDB with the Kafka bus)."""
    from trendmon.sinks.factory import open_accounts

    core = load(CoreSettings, home=home)
    return open_accounts("sqlite" if core.bus == "embedded" else "mongo", home=core.home)


def audited(store: AccountStore, action: str, target: str) -> None:
    """Record a change made from the command line, by the system user who ran it."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    audit.record(store, f"cli {who}", action, target, "cli")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(
    name: NameArg,
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")] = "viewer",
    password_stdin: StdinOption = False,
    home: HomeOption = None,
) -> None:
    """Add an account; its password is asked twice (or read with --password-stdin).

    Passwords: 8 to 128 characters, no composition rules, not one of the common ones.

    Example: trendmon users add ann --role analyst
    """
    store = open_store(home)
    try:
        user = users.add(store, name, role, _password(password_stdin), _now_ms())
        audited(store, "users.add", name)
    finally:
        store.close()
    err.print(f"added {user.name} ({user.role})")


@app.command("list")
def list_(home: HomeOption = None) -> None:
    """Every account as JSON Lines: name, role, disabled, created (never a password hash).

    Example: trendmon users list
    """
    store = open_store(home)
    try:
        for user in store.users():
            print_jsonl(
                {"name": user.name, "role": user.role, "disabled": user.disabled,
                 "password": user.password_hash is not None, "created_ms": user.created_ms}
            )  # fmt: skip
    finally:
        store.close()


@app.command("role")
def role(name: NameArg, new_role: RoleArg, home: HomeOption = None) -> None:
    """Change an account's role; its sessions end at once.

    Example: trendmon users role ann admin
    """
    store = open_store(home)
    try:
        ended = users.set_role(store, name, new_role)
        audited(store, "users.role", name)
    finally:
        store.close()
    err.print(f"{name} is now {new_role}; {ended} session(s) ended")


@app.command("passwd")
def passwd(name: NameArg, password_stdin: StdinOption = False, home: HomeOption = None) -> None:
    """Set a new password; the account's sessions end at once.

    Example: trendmon users passwd ann
    """
    store = open_store(home)
    try:
        ended = users.set_password(store, name, _password(password_stdin))
        audited(store, "users.passwd", name)
    finally:
        store.close()
    err.print(f"password of {name} changed; {ended} session(s) ended")


@app.command("disable")
def disable(
    name: NameArg,
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead.")] = False,
    home: HomeOption = None,
) -> None:
    """Disable an account (its sessions end at once), or enable it again with --enable.

    Example: trendmon users disable ann
    """
    store = open_store(home)
    try:
        ended = users.set_disabled(store, name, not enable)
        audited(store, "users.enable" if enable else "users.disable", name)
    finally:
        store.close()
    err.print(f"{name} {'enabled' if enable else 'disabled'}; {ended} session(s) ended")


@app.command("remove")
def remove(name: NameArg, home: HomeOption = None) -> None:
    """Remove an account; its sessions end at once.

    Example: trendmon users remove ann
    """
    store = open_store(home)
    try:
        ended = users.remove(store, name)
        audited(store, "users.remove", name)
    finally:
        store.close()
    err.print(f"removed {name}; {ended} session(s) ended")


@app.command("audit")
def audit_(
    n: Annotated[int, typer.Option("-n", min=1, max=100_000, help="How many events.")] = 100,
    home: HomeOption = None,
) -> None:
    """The audit log as JSON Lines, newest first: sign-ins (and failed ones), sign-outs, kiosk
    links opened, and every change to accounts, kiosk links and API tokens.

    Example: trendmon users audit -n 20
    """
    store = open_store(home)
    try:
        for event in store.audit(n):
            print_jsonl({"at_ms": event.at_ms, "who": event.who, "action": event.action,
                         "target": event.target, "from": event.source})  # fmt: skip
    finally:
        store.close()


@app.command("link")
def link(
    name: NameArg,
    url: Annotated[str, typer.Option("--url", help="The dashboard's address.")] = (
        "http://127.0.0.1:8050"
    ),
    home: HomeOption = None,
) -> None:
    """Print a one-time sign-in link for an account (valid 15 minutes, opens once).

    Example: trendmon users link ann --url https://trends.example.com
    """
    store = open_store(home)
    try:
        token = sessions.create_signin(store, users.get(store, name), _now_ms())
        audited(store, "users.link", name)
    finally:
        store.close()
    typer.echo(f"{url.rstrip('/')}/signin/{token}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="users")
