"""``trendmon secrets``: the keys that seal stored secrets (webhook secrets, Slack and Discord
URLs); see :mod:`trendmon.sinks.keys`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from trendmon.accounts.sealing import Sealer, generate_key
from trendmon.cli.common import HomeOption, err, fail, print_json
from trendmon.cli.users import audited, open_store
from trendmon.errors import TrendmonError
from trendmon.settings import CoreSettings, load
from trendmon.sinks import keys
from trendmon.sinks.factory import open_alerts

app = typer.Typer(help="Keys that seal stored secrets: generate one, rotate to a new one.")


@app.command("generate")
def generate() -> None:
    """Print a new random key for TRENDMON_SECRETS_KEYS (it is not stored anywhere).

    Example: export TRENDMON_SECRETS_KEYS=$(trendmon secrets generate)
    """
    typer.echo(generate_key())


@app.command("rotate")
def rotate(
    mongo: Annotated[
        bool, typer.Option("--mongo", help="The MongoDB stores (the distributed runtime's).")
    ] = False,
    home: HomeOption = None,
) -> None:
    """Seal every stored secret with the newest key.

    With TRENDMON_SECRETS_KEYS: put the new key first, keep the old ones after it, run this,
    then remove the old keys (from every process). Without it (embedded): a new key replaces
    the one in TRENDMON_HOME/secrets.key.

    Example: TRENDMON_SECRETS_KEYS=$NEW,$OLD trendmon secrets rotate
    """
    where: Path = load(CoreSettings, home=home).home
    backend: Literal["sqlite", "mongo"] = "mongo" if mongo else "sqlite"

    def reseal(sealer: Sealer) -> int:
        store = open_alerts(backend, home=where, sealer=sealer)
        try:
            return store.reseal()
        finally:
            store.close()

    try:
        count, origin = keys.rotate(backend, reseal, home=where)
    except TrendmonError as exc:
        fail(str(exc))
    accounts = open_store(home)
    try:
        audited(accounts, "secrets.rotate", f"{backend} ({count} subscriptions)")
    finally:
        accounts.close()
    print_json({"store": backend, "subscriptions_resealed": count, "key": f"the first of {origin}"})
    if origin == keys.ENV:
        err.print("every secret is sealed with the first key: remove the old ones everywhere")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="secrets")
