"""Fixtures of the alert tests: a store on a fresh TRENDMON_HOME, settings that let the
dispatcher reach 127.0.0.1 over http, a hand-moved clock, and spikes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from trendmon.events import Spike
from trendmon.settings import AlertSettings
from trendmon.sinks.factory import open_alerts
from trendmon.sinks.sqlite.alerts import SqliteAlerts

from .receivers import Clock

T0_MS = 1_767_571_200_000
_ids = itertools.count()


def make_spike(
    entity: str = "hashtag:dance",
    *,
    market: str = "US",
    minute: int = 0,
    severity: str = "major",
    spike_id: str | None = None,
) -> Spike:
    kind, _, ident = entity.partition(":")
    return Spike(
        spike_id=spike_id or f"sp{next(_ids)}-{entity}-{market}-{minute}",
        entity=entity,
        kind=kind,
        name=ident,
        market=market,
        bucket_ms=T0_MS + minute * 60_000,
        detected_ms=T0_MS + minute * 60_000,
        value=9000.0,
        baseline=1500.0,
        mad=0.0,
        z=9.5,
        severity=severity,  # type: ignore[arg-type]
        videos=14,
        window_s=2700,
        new_videos=14,
        new_creators=12,
        posting_ratio=6.2,
        summary="14 new videos from 12 creators in 45 min, 6.2x its usual posting",
    )


def alert_settings(**over: object) -> AlertSettings:
    base: dict[str, object] = {
        "allow_networks": "127.0.0.0/8,::1/128",
        "allow_http": True,
        "jitter": 0.0,
        "timeout_s": 2.0,
        "schedule": "5s,5m,30m,2h,5h,10h,10h",
        "group_window_s": 30,
        "cooldown_s": 3600,
    }
    base.update(over)
    return AlertSettings(**base)  # type: ignore[arg-type]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[SqliteAlerts]:
    s = open_alerts("sqlite", home=home)
    yield s
    s.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()
