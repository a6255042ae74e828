"""The history store: one suite run against SQLite (embedded) and MongoDB or FerretDB."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from trendmon.events import (
    Author,
    Effect,
    Music,
    Spike,
    Stats,
    TrendScore,
    VideoSnapshot,
    as_dict,
    new_snapshot,
    utc,
)
from trendmon.forecast.forecaster import EntityForecast, VideoForecast
from trendmon.sinks.history import KEYFRAME_MS, HistoryStore, entity_keys, forecast_records

T0 = utc("2026-01-05T00:00:00Z")
T0_MS = 1_767_571_200_000
MIN = 60_000


def snap(
    video: str,
    minute: int,
    plays: int = 100,
    *,
    hashtags: tuple[str, ...] = ("dance",),
    sound: str | None = "s1",
    creator: str = "c1",
    effects: tuple[str, ...] = (),
    source: str = "trending",
    description: str = "",
    saves: int | None = 1,
) -> VideoSnapshot:
    return new_snapshot(
        video_id=video,
        collected_at=T0 + timedelta(minutes=minute),
        source=source,
        market="US",
        description=description,
        author=Author(id=creator, unique_id=f"user{creator}", nickname=f"Nick {creator}"),
        music=Music(id=sound, title=f"Sound {sound}") if sound else None,
        hashtags=tuple(hashtags),
        effects=tuple(Effect(id=e, name=f"Effect {e}") for e in effects),
        stats=Stats(plays=plays, likes=plays // 10, comments=2, shares=3, saves=saves),
    )


def score(
    entity: str,
    tick: int,
    rank: int,
    *,
    market: str = "all",
    window: str = "24h",
    name: str | None = None,
) -> TrendScore:
    kind = entity.split(":", 1)[0]
    return TrendScore(
        entity=entity,
        kind=kind,
        name=name or entity.split(":", 1)[1],
        market=market,
        window=window,
        at_ms=T0_MS + tick * MIN,
        score=100.0 / rank + 0.1,
        plays=1000 * rank,
        engagements=50,
        velocity=12.5,
        growth=None if rank == 1 else 0.25,
        videos=3,
        creators=2,
        stage="rising",
        rank=rank,
        prev_rank=None,
        is_new=rank == 1,
    )


def spike(
    n: int, minute: int, *, entity: str = "hashtag:dance", market: str = "US", name: str = ""
) -> Spike:
    return Spike(
        spike_id=f"{entity}|{market}|{n}",
        entity=entity,
        kind=entity.split(":", 1)[0],
        name=name or entity.split(":", 1)[1],
        market=market,
        bucket_ms=T0_MS + (minute - 5) * MIN,
        detected_ms=T0_MS + minute * MIN,
        value=1234.5,
        baseline=100.0,
        mad=10.0,
        z=76.4,
        severity="extreme",
        videos=4,
    )


@pytest.fixture(params=["sqlite", pytest.param("mongo", marks=pytest.mark.services)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryStore]:
    if request.param == "sqlite":
        from trendmon.sinks.sqlite.history import SqliteHistory

        sqlite_store = SqliteHistory(tmp_path)
        yield sqlite_store
        sqlite_store.close()
        return

    from pydantic import SecretStr
    from pymongo import MongoClient

    from trendmon.settings import MongoSettings
    from trendmon.sinks.mongo.history import MongoHistory

    uri = request.getfixturevalue("mongo_uri")
    database = f"test_history_{uuid.uuid4().hex[:12]}"
    mongo_store = MongoHistory(
        MongoSettings(uri=SecretStr(uri), timeout_ms=3000), database=database
    )
    try:
        yield mongo_store
    finally:
        mongo_store.close()
        with MongoClient(uri) as client:
            client.drop_database(database)


def backend(store: HistoryStore) -> str:
    return type(store).__name__


# -- idempotent writes ------------------------------------------------------------------------


def test_writing_the_same_batch_twice_changes_nothing(store: HistoryStore) -> None:
    snapshots = [snap(f"v{i}", i) for i in range(10)]
    scores = [score(f"hashtag:t{i}", 0, i + 1) for i in range(5)]
    spikes = [spike(i, i) for i in range(3)]
    store.write(snapshots, scores, spikes)
    assert store.counts() == {"snapshots": 10, "scores": 5, "spikes": 3}
    store.write(snapshots, scores, spikes)
    assert store.counts() == {"snapshots": 10, "scores": 5, "spikes": 3}


def test_a_batch_with_some_duplicates_inserts_the_rest(store: HistoryStore) -> None:
    store.write([snap(f"v{i}", i) for i in range(10)], [score("hashtag:a", 0, 1)], [spike(0, 0)])
    store.write(
        [snap(f"v{i}", i) for i in range(5, 15)],
        [score("hashtag:a", 0, 1), score("hashtag:a", 1, 1)],
        [spike(0, 0), spike(1, 1)],
    )
    assert store.counts() == {"snapshots": 15, "scores": 2, "spikes": 2}
    assert [p["collected_ms"] for p in store.video_series("v12")] == [T0_MS + 12 * MIN]


def test_two_sources_at_the_same_moment_leave_one_point(store: HistoryStore) -> None:
    first = snap("v1", 3, plays=100, hashtags=("dance",))
    second = snap("v1", 3, plays=101, hashtags=("other",), source="hashtag:other")
    assert first.event_id != second.event_id
    store.write([first, second], [], [])
    store.write([second], [], [])
    assert store.counts()["snapshots"] == 1
    assert [p["plays"] for p in store.video_series("v1")] == [100]
    # The ignored snapshot's hashtag must not attach itself to the stored point.
    assert store.videos_with("hashtag:other") == []


def test_empty_batches_are_fine(store: HistoryStore) -> None:
    store.write([], [], [])
    assert store.counts() == {"snapshots": 0, "scores": 0, "spikes": 0}


# -- videos -----------------------------------------------------------------------------------


def test_video_series_in_time_order_with_bounds(store: HistoryStore) -> None:
    minutes = [30, 0, 20, 10, 40]
    store.write([snap("v1", m, plays=1000 + m) for m in minutes] + [snap("v2", 5)], [], [])
    series = store.video_series("v1")
    assert [p["collected_ms"] for p in series] == [T0_MS + m * MIN for m in (0, 10, 20, 30, 40)]
    assert series[1] == {
        "collected_ms": T0_MS + 10 * MIN,
        "plays": 1010,
        "likes": 101,
        "comments": 2,
        "shares": 3,
        "saves": 1,
    }
    bounded = store.video_series("v1", since_ms=T0_MS + 10 * MIN, until_ms=T0_MS + 30 * MIN)
    assert [p["plays"] for p in bounded] == [1010, 1020, 1030]
    assert [p["plays"] for p in store.video_series("v1", since_ms=T0_MS + 35 * MIN)] == [1040]
    assert [p["plays"] for p in store.video_series("v1", until_ms=T0_MS)] == [1000]
    assert store.video_series("nope") == []


def test_missing_saves_count_as_zero(store: HistoryStore) -> None:
    store.write([snap("v1", 0, saves=None)], [], [])
    assert store.video_series("v1")[0]["saves"] == 0
    video = store.video("v1")
    assert video is not None
    assert video["stats"]["saves"] is None


def test_video_is_the_latest_snapshot_in_wire_form(store: HistoryStore) -> None:
    latest = snap("v1", 50, plays=5000, effects=("e1",))
    store.write([latest, snap("v1", 10), snap("v1", 30), snap("v2", 60)], [], [])
    assert store.video("v1") == as_dict(latest)
    assert store.video("missing") is None


def test_holds_says_whether_every_snapshot_is_stored(store: HistoryStore) -> None:
    a, b = snap("v1", 10), snap("v2", 20)
    store.write([a], [], [])
    assert store.holds([a.event_id]) and store.holds([])
    assert not store.holds([a.event_id, b.event_id])
    store.write([b], [], [])
    assert store.holds([a.event_id, b.event_id])


def test_videos_with_each_entity_kind(store: HistoryStore) -> None:
    store.write(
        [
            snap("v1", 0, hashtags=("dance", "fyp"), sound="s1", creator="c1", effects=("e1",)),
            snap("v1", 10, hashtags=("dance", "fyp"), sound="s1", creator="c1", effects=("e1",)),
            snap("v2", 5, hashtags=("fyp",), sound="s2", creator="c1"),
            snap("v3", 7, hashtags=("cooking",), sound="s1", creator="c2", effects=("e1", "e2")),
        ],
        [],
        [],
    )

    def ids(entity: str, **kw: Any) -> list[tuple[str, str]]:
        return [(v["video_id"], v["collected_at"]) for v in store.videos_with(entity, **kw)]

    def at(minute: int) -> str:
        return str(as_dict(snap("x", minute))["collected_at"])

    # Latest snapshot of each video, the most recently seen video first.
    assert ids("hashtag:fyp") == [("v1", at(10)), ("v2", at(5))]
    assert ids("hashtag:dance") == [("v1", at(10))]
    assert ids("sound:s1") == [("v1", at(10)), ("v3", at(7))]
    assert ids("sound:s2") == [("v2", at(5))]
    assert ids("creator:c1") == [("v1", at(10)), ("v2", at(5))]
    assert ids("creator:c2") == [("v3", at(7))]
    assert ids("effect:e1") == [("v1", at(10)), ("v3", at(7))]
    assert ids("effect:e2") == [("v3", at(7))]
    assert ids("hashtag:none") == []
    assert ids("sound:s1", limit=1) == [("v1", at(10))]
    assert ids("sound:s1", since_ms=T0_MS + 8 * MIN) == [("v1", at(10))]
    assert ids("creator:c1", since_ms=T0_MS + 11 * MIN) == []
    full = store.videos_with("effect:e2")[0]
    assert full == as_dict(
        snap("v3", 7, hashtags=("cooking",), sound="s1", creator="c2", effects=("e1", "e2"))
    )


def test_entity_keys_of_a_snapshot() -> None:
    s = snap("v1", 0, hashtags=("Dance", "#fyp"), sound="s9", creator="c7", effects=("e1",))
    assert entity_keys(s) == ["hashtag:dance", "hashtag:fyp", "sound:s9", "creator:c7", "effect:e1"]


# -- scores and boards ------------------------------------------------------------------------


def test_entity_series_in_time_order_filtered_by_market_and_window(store: HistoryStore) -> None:
    scores = [score("hashtag:dance", t, 1) for t in (20, 0, 10, 30)]
    scores += [
        score("hashtag:dance", 10, 2, market="US"),
        score("hashtag:dance", 10, 3, window="1h"),
    ]
    scores += [score("hashtag:other", 10, 4)]
    store.write([], scores, [])
    series = store.entity_series("hashtag:dance")
    assert [s.at_ms for s in series] == [T0_MS + t * MIN for t in (0, 10, 20, 30)]
    assert series[1] == score("hashtag:dance", 10, 1)
    assert [s.rank for s in store.entity_series("hashtag:dance", market="US")] == [2]
    assert [s.rank for s in store.entity_series("hashtag:dance", window="1h")] == [3]
    bounded = store.entity_series(
        "hashtag:dance", since_ms=T0_MS + 10 * MIN, until_ms=T0_MS + 20 * MIN
    )
    assert [s.at_ms for s in bounded] == [T0_MS + 10 * MIN, T0_MS + 20 * MIN]
    assert store.entity_series("hashtag:missing") == []


def test_board_at_rebuilds_the_board_from_the_last_keyframe_and_the_changes_after_it(
    store: HistoryStore,
) -> None:
    # The engine publishes full boards when an hour closes and only changed entries between.
    assert T0_MS % KEYFRAME_MS == 0

    def board(tick: int, names: list[str], **kw: Any) -> list[TrendScore]:
        return [score(f"hashtag:{n}", tick, rank, **kw) for rank, n in enumerate(names, 1)]

    def leaver(name: str, tick: int) -> TrendScore:
        return msgspec.structs.replace(score(f"hashtag:{name}", tick, 1), rank=0, score=0.0)

    store.write([], board(0, ["a", "b", "c"]), [])
    store.write([], board(10, ["c", "a", "b", "d"]) + board(10, ["us1"], market="US"), [])
    store.write([], [*board(20, ["d", "c"]), leaver("a", 20), leaver("b", 20)], [])
    store.write([], board(15, ["x"], window="1h"), [])
    store.write([], [score("sound:s1", 12, 1)], [])
    store.write([], board(60, ["e", "d"]), [])  # the next keyframe: a full board again
    store.write([], board(70, ["d", "e"]), [])

    def names(at_minute: int, **kw: Any) -> list[str]:
        args = {"kind": "hashtag", "market": "all", "window": "24h", **kw}
        return [s.name for s in store.board_at(at_ms=T0_MS + at_minute * MIN, **args)]

    assert names(-1) == []
    assert names(0) == ["a", "b", "c"]
    assert names(9) == ["a", "b", "c"]
    assert names(10) == ["c", "a", "b", "d"]
    assert names(19) == ["c", "a", "b", "d"]
    assert names(25) == ["d", "c"]
    assert names(19, n=2) == ["c", "a"]
    assert names(60) == ["e", "d"]
    assert names(75) == ["d", "e"]
    assert names(19, market="US") == ["us1"]
    assert names(19, window="1h") == ["x"]
    assert names(9, window="1h") == []
    assert names(30, kind="sound") == ["s1"]
    assert store.board_at("hashtag", "all", "24h", T0_MS + 10 * MIN)[0] == score("hashtag:c", 10, 1)


# -- spikes -----------------------------------------------------------------------------------


def test_spikes_newest_first_with_filters_and_limit(store: HistoryStore) -> None:
    spikes = [
        spike(1, 10),
        spike(2, 30),
        spike(3, 20, entity="sound:s1"),
        spike(4, 40, market="GB"),
        spike(5, 50, entity="creator:c1", market="GB"),
    ]
    store.write([], [], spikes)

    def ids(**kw: Any) -> list[str]:
        return [s.spike_id.rsplit("|", 1)[1] for s in store.spikes(**kw)]

    assert ids() == ["5", "4", "2", "3", "1"]
    assert ids(limit=2) == ["5", "4"]
    assert ids(kind="hashtag") == ["4", "2", "1"]
    assert ids(market="GB") == ["5", "4"]
    assert ids(kind="hashtag", market="US") == ["2", "1"]
    assert ids(entity="sound:s1") == ["3"]
    assert ids(since_ms=T0_MS + 20 * MIN, until_ms=T0_MS + 40 * MIN) == ["4", "2", "3"]
    assert ids(since_ms=T0_MS + 60 * MIN) == []
    assert store.spikes(entity="sound:s1")[0] == spikes[2]


# -- text, housekeeping, speed -----------------------------------------------------------------


def test_non_latin_and_emoji_text_round_trips(store: HistoryStore) -> None:
    text = "踊ってみた 🕺🔥 танец — ДРУЗЬЯ ✨ مرحبا \u200d👩‍👩‍👧"
    s = snap("v1", 0, hashtags=("ダンス", "танец", "🔥fire"), description=text, creator="作者")
    store.write(
        [s],
        [score("hashtag:ダンス", 0, 1, name="ダンス 🕺")],
        [spike(1, 1, entity="hashtag:танец", name="танец 🔥")],
    )
    assert store.video("v1") == as_dict(s)
    assert [v["description"] for v in store.videos_with("hashtag:ダンス")] == [text]
    assert [v["video_id"] for v in store.videos_with("hashtag:🔥fire")] == ["v1"]
    assert [v["video_id"] for v in store.videos_with("creator:作者")] == ["v1"]
    assert [s.name for s in store.entity_series("hashtag:ダンス")] == ["ダンス 🕺"]
    assert [s.name for s in store.spikes(entity="hashtag:танец")] == ["танец 🔥"]


def test_clear_empties_every_collection(store: HistoryStore) -> None:
    store.write([snap("v1", 0)], [score("hashtag:a", 0, 1)], [spike(1, 1)])
    store.clear()
    assert store.counts() == {"snapshots": 0, "scores": 0, "spikes": 0}
    assert store.board_at("hashtag", "all", "24h", T0_MS + MIN) == []
    assert store.videos_with("hashtag:dance") == []
    store.write([snap("v1", 0)], [], [])
    store.write([snap("v1", 0)], [], [])
    assert store.counts()["snapshots"] == 1


def test_forecasts_round_trip_oldest_first_within_bounds_once(store: HistoryStore) -> None:
    hour = 3_600_000
    base = T0_MS - T0_MS % hour
    entities = [
        EntityForecast("hashtag", "hashtag:dance", m, base + h * hour, 6, 0.25, False, "model", 0.3)
        for h in (2, 0, 1)
        for m in ("US", "all")
    ]
    videos = [VideoForecast("v1", "US", base + 30 * 60_000, 1, 1e5, 5e4, 2e5, "loglinear")]
    records = forecast_records(entities, videos)
    store.write_forecasts(records)
    store.write_forecasts(records[:3])  # again: nothing doubles
    found = store.forecasts()
    assert [r["made_ms"] for r in found] == sorted(r["made_ms"] for r in records)
    assert len(found) == 7
    assert found[0] | {} == {**records[2], **found[0]}  # the record as written
    video = next(r for r in found if r["entity_type"] == "video")
    assert (video["video_id"], video["age_h"], video["plays_24h_low"]) == ("v1", 1, 5e4)
    dance = found[0]
    assert (dance["entity_type"], dance["entity"], dance["horizon_h"]) == ("hashtag", "dance", 6)
    inside = store.forecasts(base + hour, base + 2 * hour)
    assert {r["made_ms"] for r in inside} == {base + hour, base + 2 * hour}
    # By id (a video's page): only those, whatever else was made at the time.
    by_id = store.forecasts(ids=["video:v1|1", "video:v1|3", f"hashtag:dance|US|{base}|6"])
    assert [r["id"] for r in by_id] == [f"hashtag:dance|US|{base}|6", "video:v1|1"]
    assert store.forecasts(since_ms=base + hour, ids=["video:v1|1"]) == []
    store.clear()
    assert store.forecasts() == []


def test_bulk_write_of_20000_snapshots(
    store: HistoryStore, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots = [
        snap(
            f"7{i % 2000:018d}",
            i // 2000,
            plays=10_000 + i,
            hashtags=(f"tag{i % 97}", "fyp", f"t{i % 13}"),
            sound=f"s{i % 300}",
            creator=f"c{i % 500}",
            effects=(f"e{i % 7}",) if i % 3 == 0 else (),
            description=f"video {i} #fyp 🔥",
        )
        for i in range(20_000)
    ]
    batch = 2000
    started = time.perf_counter()
    for start in range(0, len(snapshots), batch):
        store.write(snapshots[start : start + batch], [], [])
    elapsed = time.perf_counter() - started
    assert store.counts()["snapshots"] == 20_000
    started = time.perf_counter()
    store.write(snapshots[:batch], [], [])
    again = time.perf_counter() - started
    with capsys.disabled():
        print(
            f"\n[history] {backend(store)}: 20,000 snapshots in {elapsed:.2f} s "
            f"({20_000 / elapsed:,.0f} rows/s, batches of {batch}); "
            f"rewriting a batch of {batch} duplicates: {batch / again:,.0f} rows/s"
        )
    assert len(store.video_series(f"7{5:018d}")) == 10
    assert len(store.videos_with("hashtag:fyp", limit=50)) == 50
