"""The one duration parser, and the settings and stores that read durations through it."""

from __future__ import annotations

import pytest

from trendmon.durations import DurationError, duration_ms, parse_duration, whole_seconds
from trendmon.engine.windows import make_windows
from trendmon.errors import ConfigError
from trendmon.producers.tiktok.targets import resolve_targets
from trendmon.settings import ScrapeSettings, load
from trendmon.sinks.redis.configuration import windows_ms


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("10m", 600),
        ("1.5h", 5400),
        ("1d", 86_400),
        ("7d", 604_800),
        ("2w", 1_209_600),
        (" 5 m ", 300),
        ("24H", 86_400),
        ("0.5s", 0.5),
        ("0", 0),
    ],
)
def test_every_form_any_caller_accepted(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert duration_ms(text) == round(seconds * 1000)
    assert whole_seconds(text) == int(seconds)


@pytest.mark.parametrize("text", ["", "m", "5x", "-5m", "1e3s", "inf", "nan", "5 mins", "1h30m"])
def test_anything_else_is_refused_naming_the_input_and_the_forms(text: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    message = str(info.value)
    assert repr(text) in message and "90s, 10m, 1.5h, 7d or 2w" in message
    # A typed error for the core's callers, and a ValueError for validators.
    assert isinstance(info.value, ConfigError) and isinstance(info.value, ValueError)


def test_engine_windows_scrape_intervals_and_store_windows_agree() -> None:
    # Forms that only some of the three former parsers took are now taken by all.
    assert [w.ms for w in make_windows("90m,1.5h,2W", 300_000)] == [
        5_400_000,
        5_400_000,
        1_209_600_000,
    ]
    assert windows_ms("90m,1.5h,2W") == {"90m": 5_400_000, "1.5h": 5_400_000, "2W": 1_209_600_000}
    assert resolve_targets(["trending"], None, budget=5, interval="1W")[0].interval_s == 604_800
    assert load(ScrapeSettings, interval="2w").interval == "2w"


def test_each_caller_names_the_setting_to_fix() -> None:
    with pytest.raises(ConfigError, match=r"'5x' is not a duration.*TRENDMON_ENGINE_WINDOWS"):
        windows_ms("1h,5x")
    with pytest.raises(ConfigError, match="window '0h' is empty"):
        windows_ms("0h")
    with pytest.raises(ConfigError, match=r"TRENDMON_SCRAPE_INTERVAL: .*'soon' is not a duration"):
        load(ScrapeSettings, interval="soon")
    with pytest.raises(ConfigError, match="'1h30m' is not a duration"):
        make_windows("1h30m", 300_000)
