"""Targets from the command line and from TOML files, and their error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from trendmon.errors import ConfigError
from trendmon.producers.tiktok.targets import (
    Target,
    load_targets_file,
    parse_target,
    resolve_targets,
)


def test_command_line_specs_get_the_defaults_and_canonical_values() -> None:
    targets = resolve_targets(
        [
            "trending",
            "hashtag:#Dance",
            "sound:7016547803243022337",
            "user:@therock",
            "search:cat videos",
        ],
        None,
        budget=25,
        interval="10m",
    )
    assert [t.name for t in targets] == [
        "trending",
        "hashtag:Dance",
        "sound:7016547803243022337",
        "user:therock",
        "search:cat videos",
    ]
    assert all(t.budget == 25 and t.interval_s == 600 for t in targets)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("trending:x", "trending takes no value"),
        ("hashtag", "hashtag needs a value"),
        ("sound:abc", "numeric id"),
        ("user:two words", "no spaces"),
        ("video:1", "unknown kind 'video'"),
    ],
)
def test_bad_specs_name_the_flag(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_target(spec, budget=1, interval_s=60)
    assert f"--target {spec!r}" in str(info.value)


def test_no_targets_and_duplicates_are_errors() -> None:
    with pytest.raises(ConfigError, match="no targets: pass --target trending"):
        resolve_targets([], None, budget=1, interval="1m")
    with pytest.raises(ConfigError, match="'hashtag:dance' is given twice"):
        resolve_targets(["hashtag:dance", "hashtag:#dance"], None, budget=1, interval="1m")
    with pytest.raises(ConfigError, match="--interval"):
        resolve_targets(["trending"], None, budget=1, interval="soon")
    with pytest.raises(ConfigError, match="--budget"):
        resolve_targets(["trending"], None, budget=0, interval="1m")


def test_targets_file_with_defaults_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(
        "# what the office wall watches\n"
        '[[target]]\nkind = "trending"\n\n'
        '[[target]]\nkind = "hashtag"\nvalue = "dance"\nbudget = 50\ninterval = "10m"\n\n'
        '[[target]]\nkind = "sound"\nvalue = 7016547803243022337\ninterval = 90\n',
        encoding="utf-8",
    )
    targets = load_targets_file(path, budget=30, interval_s=300)
    assert targets == [
        Target("trending", None, 30, 300),
        Target("hashtag", "dance", 50, 600),
        Target("sound", "7016547803243022337", 30, 90),
    ]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            '[[target]]\nkind = "trending"\n\n[[target]]\nkind = "hashtag"\nbudget = 5\n',
            ":4: target field 'value': hashtag needs a value",
        ),
        (
            '[[target]]\nkind = "hashtag"\nvalue = "dance"\nbudget = "lots"\n',
            ":4: target field 'budget': budget must be a whole number",
        ),
        (
            '[[target]]\nkind = "trending"\ninterval = "soon"\n',
            ":3: target field 'interval': 'soon' is not a duration",
        ),
        ('[[target]]\nkind = "clips"\n', ":2: target field 'kind': unknown kind 'clips'"),
        ('[[target]]\nkind = "trending"\ncolour = "red"\n', ":3: target field 'colour': unknown"),
        ('[[target]]\nvalue = "x"\n', ":1: target field 'kind': required"),
        ("[[target]\nkind=1\n", ": invalid TOML: "),
        ('kind = "trending"\n', "unknown top-level key 'kind'"),
        ("", "no [[target]] tables"),
    ],
)
def test_targets_file_errors_name_file_line_and_field(
    tmp_path: Path, body: str, where: str
) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_targets_file(path, budget=30, interval_s=600)
    assert str(info.value).startswith(str(path))
    assert where in str(info.value)


def test_missing_targets_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read targets file"):
        resolve_targets([], tmp_path / "nope.toml", budget=1, interval="1m")
