"""What the scraper watches: targets from the command line or a TOML file, validated.

A target is one feed of TikTok videos with its own budget (items per run) and interval::

    trending                 the "For You" recommendation feed (a personalised sample)
    hashtag:dance            videos of a hashtag (a leading # is dropped)
    sound:7016547803243022337  videos that use a sound (its numeric id)
    user:therock             a creator's posts (a leading @ is dropped)
    search:cat videos        videos found by a search query

On the command line: ``--target trending --target hashtag:dance`` with ``--budget``/``--interval``
for all of them. In a file::

    [[target]]
    kind = "hashtag"
    value = "dance"
    budget = 50          # optional, defaults to --budget
    interval = "10m"     # optional, defaults to --interval

Every mistake raises :class:`~trendmon.errors.ConfigError` naming the file, line and field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

from trendmon.durations import parse_duration
from trendmon.errors import ConfigError

Kind = Literal["trending", "hashtag", "sound", "user", "search"]
KINDS: Final[tuple[str, ...]] = get_args(Kind)
MAX_BUDGET: Final = 5000
"""More than this per run is not scraping a sample, it is crawling (and gets blocked)."""
MIN_INTERVAL_S: Final = 1.0

_FILE_KEYS: Final = frozenset({"kind", "value", "budget", "interval"})


@dataclass(frozen=True, slots=True)
class Target:
    """One feed to scrape: ``kind`` and ``value`` (None for trending), budget and interval."""

    kind: Kind
    value: str | None
    budget: int
    interval_s: float

    @property
    def name(self) -> str:
        """The snapshot ``source`` of this target: ``trending``, ``hashtag:dance``, ..."""
        return self.kind if self.value is None else f"{self.kind}:{self.value}"


def _check_value(kind: str, value: str | None) -> str | None:
    """The canonical value of a target, or ValueError saying what is wrong."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    if kind == "trending":
        if value not in (None, ""):
            raise ValueError("trending takes no value")
        return None
    text = (value or "").strip()
    if kind == "hashtag":
        text = text.lstrip("#").strip()
    elif kind == "user":
        text = text.lstrip("@").strip()
    if not text:
        raise ValueError(f"{kind} needs a value, like {kind}:{_EXAMPLES[kind]}")
    if kind == "sound" and not text.isdigit():
        raise ValueError(f"a sound is a numeric id like sound:{_EXAMPLES['sound']}, not {text!r}")
    if kind in ("hashtag", "user") and any(c.isspace() for c in text):
        raise ValueError(f"a {kind} name has no spaces: {text!r}")
    return text


_EXAMPLES: Final = {
    "hashtag": "dance",
    "sound": "7016547803243022337",
    "user": "therock",
    "search": "cat videos",
}


def _check_budget(budget: object) -> int:
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise ValueError(f"budget must be a whole number of items, not {budget!r}")
    if not 1 <= budget <= MAX_BUDGET:
        raise ValueError(f"budget must be between 1 and {MAX_BUDGET}, not {budget}")
    return budget


def _check_interval(interval: object) -> float:
    if isinstance(interval, bool):
        raise ValueError(f"interval must be a duration like 10m, not {interval!r}")
    seconds = (
        float(interval)
        if isinstance(interval, int | float)
        else (parse_duration(interval) if isinstance(interval, str) else None)
    )
    if seconds is None:
        raise ValueError(f"interval must be a duration like 10m, not {interval!r}")
    if seconds < MIN_INTERVAL_S:
        raise ValueError(f"interval must be at least {MIN_INTERVAL_S:g}s, not {interval!r}")
    return seconds


def parse_target(spec: str, *, budget: int, interval_s: float) -> Target:
    """A target from its command-line form ``KIND[:VALUE]``.

    >>> parse_target("hashtag:#Dance", budget=30, interval_s=600).name
    'hashtag:Dance'
    """
    kind, sep, value = spec.strip().partition(":")
    kind = kind.strip().lower()
    try:
        canonical = _check_value(kind, value if sep else None)
    except ValueError as exc:
        raise ConfigError(f"--target {spec!r}: {exc}") from None
    return Target(kind=cast(Kind, kind), value=canonical, budget=budget, interval_s=interval_s)


def _table_lines(text: str) -> list[int]:
    """Line numbers (1-based) of each ``[[target]]`` header, in order.

    tomllib reports no positions for valid documents, so error messages find them here.
    """
    header = re.compile(r"^\s*\[\[\s*target\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), start=1) if header.match(line)]


def _field_line(text: str, start: int, key: str) -> int:
    """The line of ``key = ...`` in the table that starts at line ``start`` (else ``start``)."""
    lines = text.splitlines()
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for n in range(start + 1, len(lines) + 1):
        line = lines[n - 1]
        if line.lstrip().startswith("["):
            break
        if pattern.match(line):
            return n
    return start


def load_targets_file(path: Path, *, budget: int, interval_s: float) -> list[Target]:
    """Targets of a TOML file made of ``[[target]]`` tables; defaults fill missing fields."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read targets file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8 TOML") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    unknown = sorted(set(document) - {"target"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown top-level key {unknown[0]!r}; the file holds [[target]] tables only"
        )
    tables = document.get("target", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f'{path}: no [[target]] tables; add one: [[target]] kind = "trending"')
    starts = _table_lines(text)
    targets = []
    for index, table in enumerate(tables):
        start = starts[index] if index < len(starts) else 1
        targets.append(_from_table(path, text, start, table, budget, interval_s))
    return targets


def _from_table(
    path: Path, text: str, start: int, table: dict[str, Any], budget: int, interval_s: float
) -> Target:
    def problem(key: str, message: str) -> ConfigError:
        line = _field_line(text, start, key)
        return ConfigError(f"{path}:{line}: target field {key!r}: {message}")

    for key in table:
        if key not in _FILE_KEYS:
            raise problem(key, f"unknown field; use {', '.join(sorted(_FILE_KEYS))}")
    kind = table.get("kind")
    if not isinstance(kind, str):
        raise problem("kind", f"required, one of {', '.join(KINDS)}")
    value = table.get("value")
    if value is not None and not isinstance(value, str | int):
        raise problem("value", f"must be a string, not {value!r}")
    try:
        canonical = _check_value(kind.strip().lower(), None if value is None else str(value))
    except ValueError as exc:
        field = "kind" if kind.strip().lower() not in KINDS else "value"
        raise problem(field, str(exc)) from None
    try:
        chosen_budget = _check_budget(table.get("budget", budget))
    except ValueError as exc:
        raise problem("budget", str(exc)) from None
    try:
        chosen_interval = _check_interval(table.get("interval", interval_s))
    except ValueError as exc:
        raise problem("interval", str(exc)) from None
    return Target(
        kind=cast(Kind, kind.strip().lower()),
        value=canonical,
        budget=chosen_budget,
        interval_s=chosen_interval,
    )


def resolve_targets(
    specs: Iterable[str],
    targets_file: Path | None,
    *,
    budget: int,
    interval: str,
) -> list[Target]:
    """All targets from ``--target`` specs and a targets file, defaults applied, no duplicates."""
    try:
        default_budget = _check_budget(budget)
    except ValueError as exc:
        raise ConfigError(f"--budget: {exc}") from None
    try:
        default_interval = _check_interval(interval)
    except ValueError as exc:
        raise ConfigError(f"--interval: {exc}") from None
    targets = [
        parse_target(spec, budget=default_budget, interval_s=default_interval) for spec in specs
    ]
    if targets_file is not None:
        targets += load_targets_file(
            targets_file, budget=default_budget, interval_s=default_interval
        )
    if not targets:
        raise ConfigError(
            "no targets: pass --target trending (or hashtag:NAME, sound:ID, user:NAME, "
            "search:QUERY), or --targets-file FILE.toml"
        )
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            raise ConfigError(f"target {target.name!r} is given twice; keep one")
        seen.add(target.name)
    return targets
