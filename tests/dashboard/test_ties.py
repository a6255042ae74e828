"""Ties: every board in one total order (score descending, ties by key ascending), the same in
the live store, the exports and the wall, and the wall shows exactly ranks 1..N."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trendmon.dashboard.app import create_app
from trendmon.dashboard.server import DashboardServer
from trendmon.engine.boards import Ranker
from trendmon.events import Candidate, VideoDelta
from trendmon.settings import DashboardSettings
from trendmon.sinks.redis.store import LiveStore

from .conftest import start

AT_MS = 1_767_571_200_000  # 2026-01-05T00:00Z
TAG_SCORES = {"t1": 5.0, "t2": 5.0, "t3": 5.0, "t4": 3.0, "t5": 3.0, "t6": 2.0, "t7": 2.0,
              "t8": 2.0}  # fmt: skip
"""Keys listed here in rank order; scores written in an order that is not it."""
VELOCITIES = [900.0, 900.0, 900.0, 500.0, 500.0, 100.0, 100.0, 100.0, 100.0]
VIDEO_VELOCITY = {f"70000000000000000{n:02d}": v for n, v in enumerate(VELOCITIES)}


def delta(video_id: str, velocity: float) -> VideoDelta:
    return VideoDelta(
        video_id, 1, "US", "6800000000000000001", AT_MS, None, 0, 0, 0, 0, 0,
        5000, 500, 50, 5, 1, velocity, 0.1, (), (),
    )  # fmt: skip


@pytest.fixture(scope="module")
def tied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A live store whose hashtag and video boards are full of ties."""
    home = tmp_path_factory.mktemp("ties") / "home"
    ranker = Ranker(100)
    candidates = [
        Candidate(f"hashtag:{tag}", tag, score, 1000, 10, 100.0, None, 3, 3, "rising")
        for tag, score in reversed(TAG_SCORES.items())
    ]
    scores = ranker.publish("24h", AT_MS, True, {("hashtag", "all"): candidates})
    assert [(s.entity, s.rank) for s in scores] == [
        (f"hashtag:{tag}", rank) for rank, tag in enumerate(TAG_SCORES, start=1)
    ]  # the engine's order: score descending, ties by key ascending
    with LiveStore.open(home=home) as store:
        store.write([], [delta(v, x) for v, x in reversed(VIDEO_VELOCITY.items())],
                    list(reversed(scores)), [], None)  # fmt: skip
    yield home
    # nothing else to close: the store closed its embedded server


@pytest.fixture(scope="module")
def tied_server(tied: Path) -> Iterator[DashboardServer]:
    server = start(create_app(DashboardSettings(heartbeat_s=1.0, history_ttl_s=0.0), tied))
    yield server
    server.stop()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_the_live_store_reads_every_board_in_total_order(tied: Path) -> None:
    with LiveStore.open(home=tied) as store:
        tags = store.board("hashtag", "all", "24h", 100)
        assert [m for m, _ in tags] == [f"hashtag:{t}" for t in TAG_SCORES]
        videos = store.board("velocity", "all", "24h", 100)
        assert [v for v, _ in videos] == list(VIDEO_VELOCITY)  # ids ascending within a tie
        # Any page, even one that starts or ends inside a tie, is a slice of the same order.
        for n in (1, 2, 3, 4):
            for offset in range(len(videos) + 1):
                page = store.board("velocity", "all", "24h", n, offset)
                assert page == videos[offset : offset + n], (n, offset)


def test_exports_list_ties_in_rank_order(tied_server: DashboardServer) -> None:
    trends = get_json(f"{tied_server.url}/export/trends.json?kind=hashtag&window=24h")
    assert [r["rank"] for r in trends] == list(range(1, 9))
    assert [r["name"] for r in trends] == list(TAG_SCORES)
    rankings = get_json(f"{tied_server.url}/export/rankings.json?metric=velocity&window=24h")
    assert [r["rank"] for r in rankings] == list(range(1, len(VIDEO_VELOCITY) + 1))
    assert [r["video_id"] for r in rankings] == list(VIDEO_VELOCITY)


@pytest.mark.browser
@pytest.mark.slow
def test_the_wall_shows_exactly_ranks_1_to_n(page: Any, tied_server: DashboardServer) -> None:
    page.goto(f"{tied_server.url}/wall?boards=videos,hashtags&rows=7&window=24h")
    page.wait_for_selector("#wall-hashtags .w-row .w-value")
    for board in ("hashtags", "videos"):
        ranks = page.eval_on_selector_all(
            f"#wall-{board} .w-rank", "els => els.map(e => e.textContent)"
        )
        assert ranks == [str(r) for r in range(1, 8)], board
    names = page.eval_on_selector_all(
        "#wall-hashtags .w-name", "els => els.map(e => e.textContent)"
    )
    assert names == [f"#{t}" for t in list(TAG_SCORES)[:7]]
    assert page.console.errors == []
