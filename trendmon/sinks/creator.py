"""The creator store: a creator's imported analytics, per account, behind one interface.

Two implementations, one test suite (``tests/sinks/test_creator_store.py``), opened by
:func:`trendmon.sinks.factory.open_creator`:

- :class:`~trendmon.sinks.sqlite.creator.SqliteCreator` (embedded):
  ``TRENDMON_HOME/creator.sqlite3``;
- :class:`~trendmon.sinks.mongo.creator.MongoCreator` (distributed): collections ``creator_*``
  in the history's database.

Both keep, for every value, the day of the export it came from; :class:`MergingStore` applies
:mod:`trendmon.creator.merge` (the newer export wins) over each backend's reads and writes, so the
rule is written once. Only what the analytics need is stored: the records of
:mod:`trendmon.creator.records`, never the rest of an export (messages, logins, devices,
addresses, other users' names are not even read).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from trendmon.creator.merge import Summary, Valued, merge_post, merge_values
from trendmon.creator.records import Activity, Export, Post, Share

DayValues = dict[str, Valued]


class CreatorStore(Protocol):
    """What the command line and the dashboard use."""

    def save(self, account: str, export: Export) -> Summary:
        """Merge one file's records into the account's (idempotent; the newer export wins)."""
        ...

    def accounts(self) -> list[dict[str, Any]]:
        """Each account: ``account``, ``first_day``, ``last_day``, ``days``, ``posts``,
        ``followers`` (latest total), ``imported`` (last export day), by handle."""
        ...

    def days(
        self, account: str, start: str | None = None, end: str | None = None
    ) -> list[dict[str, Any]]:
        """One dict per stored day in ``[start, end]`` (ISO dates), ascending: ``date`` and
        each metric it has."""
        ...

    def posts(self, account: str) -> list[Post]:
        """Every stored post, newest first."""
        ...

    def audience(self, account: str, section: str) -> tuple[str | None, list[Share]]:
        """The newest snapshot of ``gender`` or ``territory``: its day and its shares."""
        ...

    def activity(self, account: str) -> list[Activity]:
        """Followers online per day and hour, ascending."""
        ...

    def imports(self, account: str) -> list[Summary]:
        """The import log (one entry per file and export day), oldest first."""
        ...

    def close(self) -> None: ...


class MergingStore:
    """:meth:`save` over a backend's primitives; subclasses implement the ``_`` methods."""

    def save(self, account: str, export: Export) -> Summary:
        as_of = export.exported
        out = Summary(source=export.source, format=export.format, account=account,
                      exported=as_of, notes=list(export.notes))  # fmt: skip
        if export.days:
            stored = self._load_days(account, [d.date for d in export.days])
            write: dict[str, DayValues] = {}
            for day in export.days:
                merged, change = merge_values(stored.get(day.date, {}), day.values(), as_of)
                if change != "unchanged":
                    write[day.date] = merged
                setattr(out, f"days_{change}", getattr(out, f"days_{change}") + 1)
            if write:
                self._store_days(account, write)
        if export.posts:
            had = self._load_posts(account, [p.key for p in export.posts])
            changed: list[tuple[Post, str]] = []
            for post in export.posts:
                old = had.get(post.key)
                merged_post, at, change = merge_post(
                    old[0] if old else None, old[1] if old else None, post, as_of
                )
                if change != "unchanged":
                    changed.append((merged_post, at))
                setattr(out, f"posts_{change}", getattr(out, f"posts_{change}") + 1)
            if changed:
                self._store_posts(account, changed)
        for section in ("gender", "territory"):
            shares = [s for s in export.audience if s.section == section]
            if shares:
                current = self._section_as_of(account, section)
                if current is None or as_of >= current:
                    self._store_section(account, section, shares, as_of)
                    out.audience += len(shares)
        if export.activity:
            keys = [(a.date, a.hour) for a in export.activity]
            known = self._load_activity(account, keys)
            put: dict[tuple[str, int], Valued] = {}
            for a in export.activity:
                old_value = known.get((a.date, a.hour))
                merged_h, change = merge_values(
                    {"active": old_value} if old_value else {}, {"active": a.active}, as_of
                )
                if change == "added":
                    out.activity_added += 1
                elif change == "updated":
                    out.activity_updated += 1
                if change != "unchanged":
                    put[(a.date, a.hour)] = merged_h["active"]
            if put:
                self._store_activity(account, put)
        self._log(account, out)
        return out

    # -- the backend's primitives -------------------------------------------------------------
    def _load_days(self, account: str, dates: Iterable[str]) -> dict[str, DayValues]:
        raise NotImplementedError

    def _store_days(self, account: str, days: Mapping[str, DayValues]) -> None:
        raise NotImplementedError

    def _load_posts(self, account: str, keys: Iterable[str]) -> dict[str, tuple[Post, str]]:
        raise NotImplementedError

    def _store_posts(self, account: str, posts: list[tuple[Post, str]]) -> None:
        raise NotImplementedError

    def _section_as_of(self, account: str, section: str) -> str | None:
        raise NotImplementedError

    def _store_section(
        self, account: str, section: str, shares: list[Share], as_of: str
    ) -> None:
        raise NotImplementedError

    def _load_activity(
        self, account: str, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], Valued]:
        raise NotImplementedError

    def _store_activity(self, account: str, values: Mapping[tuple[str, int], Valued]) -> None:
        raise NotImplementedError

    def _log(self, account: str, summary: Summary) -> None:
        raise NotImplementedError


def pivot(rows: Iterable[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """(date, metric, value) rows as one dict per date, ascending."""
    days: dict[str, dict[str, Any]] = {}
    for day, metric, value in rows:
        days.setdefault(day, {"date": day})[metric] = value
    return [days[d] for d in sorted(days)]
