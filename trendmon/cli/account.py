"""``trendmon account``: a creator's own TikTok analytics, imported from TikTok's exports.

``import`` reads every file (Studio's CSV, XLSX and section ZIPs, the legacy single files, the
Business Suite's, "Download your data" JSON and its ZIP; told apart by their content) as one
export, merges it into the creator store (the newer export wins for a day) and prints what
each file added; ``list`` and ``show`` print what is stored, as JSON Lines. SQLite under
TRENDMON_HOME, or MongoDB with --mongo.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from trendmon.cli.common import (
    HomeOption,
    StoreMongoOption,
    checked,
    err,
    fail,
    opened_store,
    print_jsonl,
)
from trendmon.creator.detect import read_exports
from trendmon.creator.records import DAY_METRICS, Export
from trendmon.sinks.creator import CreatorStore
from trendmon.sinks.factory import open_creator

SECTIONS = ("days", "posts", "gender", "territories", "activity")



def handle(text: str) -> str:
    """An account handle as stored: without ``@``, lower case (TikTok's are case-blind)."""
    return text.strip().lstrip("@").casefold()


def _date(value: str | None, flag: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; give YYYY-MM-DD", param_hint=flag
        ) from None


def resolve_accounts(exports: list[Export], account: str | None) -> list[tuple[str, Export]]:
    """Each export with the account it belongs to: ``--account``, else the handle the export
    set names (a ZIP's name, video links, the archive's profile) when it names only one."""
    if account:
        return [(handle(account), e) for e in exports]
    named = {handle(e.account) for e in exports if e.account}
    out = []
    for e in exports:
        if e.account:
            out.append((handle(e.account), e))
        elif len(named) == 1:
            out.append((next(iter(named)), e))
        else:
            found = ", ".join(sorted(named)) or "none"
            fail(f"{e.source}: the file does not name its account (handles in this import: "
                 f"{found}); pass --account HANDLE")  # fmt: skip
    return out


IMPORT_HELP = """Import TikTok analytics exports of a creator's own account; prints what each file
added (JSON Lines). Files are told apart by content; importing the same or an overlapping export
again changes nothing but what is newer.

Example:

    trendmon account import Overview_2026-02-28_1772236800_me.zip Followers_me.zip
    trendmon account import Overview.csv FollowerHistory.csv --account me --exported 2026-02-28
"""


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    group = typer.Typer(
        name="account",
        help="A creator's own account: TikTok's exports imported, shown as JSON Lines.",
        no_args_is_help=True,
    )
    app.add_typer(group)

    @group.command(name="import", help=IMPORT_HELP)
    def import_cmd(
        files: Annotated[list[Path], typer.Argument(help="Export files (CSV, XLSX, ZIP, JSON).")],
        account: Annotated[
            str | None,
            typer.Option("--account", help="The account's handle, when the files do not say."),
        ] = None,
        exported: Annotated[
            str | None,
            typer.Option(
                "--exported",
                help="Day the export was made (YYYY-MM-DD), for files without a year.",
            ),
        ] = None,
        mongo: StoreMongoOption = False,
        home: HomeOption = None,
    ) -> None:
        day = _date(exported, "--exported")
        blobs: list[tuple[str, bytes]] = []
        for path in files:
            try:
                blobs.append((str(path), path.read_bytes()))
            except OSError as exc:
                fail(f"{path}: cannot read it ({exc.strerror}); check the path")
        exports = checked(lambda: read_exports(
            blobs, exported=date.fromisoformat(day) if day else None
        ))  # fmt: skip
        owned = resolve_accounts(exports, account)
        with opened_store(open_creator, mongo, home) as store:
            for name, export in owned:
                summary = checked(lambda n=name, e=export: store.save(n, e))  # type: ignore[misc]
                print_jsonl(msgspec.to_builtins(summary))
        err.print(f"imported {len(owned)} tables from {len(files)} files", highlight=False)

    @group.command(name="list")
    def list_cmd(mongo: StoreMongoOption = False, home: HomeOption = None) -> None:
        """Print every imported account as JSON Lines (days, posts, latest followers).

        Example: trendmon account list | jq -r .account
        """
        with opened_store(open_creator, mongo, home) as store:
            for row in checked(store.accounts):
                print_jsonl(row)

    @group.command(name="show")
    def show_cmd(
        account: Annotated[str, typer.Argument(help="The account's handle.")],
        start: Annotated[
            str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")
        ] = None,
        end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
        section: Annotated[
            str, typer.Option("--section", help="days, posts, gender, territories or activity.")
        ] = "days",
        mongo: StoreMongoOption = False,
        home: HomeOption = None,
    ) -> None:
        """Print an account's data as JSON Lines: one day a line (views, profile_views, likes,
        comments, shares, followers, followers_net, viewers...), or another --section.

        Example: trendmon account show haileytupy2.0 --from 2026-02-01 --to 2026-02-27
        """
        if section not in SECTIONS:
            raise typer.BadParameter(f"{section!r}: give one of {', '.join(SECTIONS)}",
                                     param_hint="--section")  # fmt: skip
        first, last = _date(start, "--from"), _date(end, "--to")
        name = handle(account)
        with opened_store(open_creator, mongo, home) as store:
            known = {a["account"] for a in checked(store.accounts)}
            if name not in known:
                fail(f"no account {name!r} imported; `trendmon account list` shows them")
            for row in _rows(store, name, section, first, last):
                print_jsonl(row)


def _rows(
    store: CreatorStore, name: str, section: str, first: str | None, last: str | None
) -> list[dict[str, Any]]:
    if section == "days":
        return [
            {"date": d["date"], **{m: d[m] for m in DAY_METRICS if m in d}}
            for d in store.days(name, first, last)
        ]
    if section == "posts":
        return [msgspec.to_builtins(p) for p in store.posts(name)
                if (not first or (p.posted_date or "") >= first)
                and (not last or (p.posted_date or "") <= last)]  # fmt: skip
    if section == "activity":
        return [msgspec.to_builtins(a) for a in store.activity(name)
                if (not first or a.date >= first) and (not last or a.date <= last)]  # fmt: skip
    as_of, shares = store.audience(name, "gender" if section == "gender" else "territory")
    return [{"as_of": as_of, "key": s.key, "share": s.share} for s in shares]
