"""The runner end to end: replayed TikTok answers in, snapshots, dead letters and health out,
through the real TikTokApi, the real item parser and the real embedded log."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from tiktok_replay import (
    CAPTCHA,
    START,
    FakeClock,
    ReplaySessions,
    page,
    trending_items,
    user_detail,
    user_post_response,
)

from trendmon.errors import ConfigError
from trendmon.events import DeadLetter, SourceHealth, VideoSnapshot, decode_event
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS, SOURCE_HEALTH
from trendmon.log.embedded import EmbeddedLog
from trendmon.producers.tiktok.client import TikTokClient
from trendmon.producers.tiktok.runner import Attempt, Runner
from trendmon.producers.tiktok.targets import Target
from trendmon.settings import ScrapeSettings

TRENDING = "/api/recommend/item_list/"
TREND = Target("trending", None, 30, 600)


def events(bus: EmbeddedLog, topic: str) -> list[Any]:
    return [decode_event(record.value) for record in bus.read(topic)]


def snapshots(bus: EmbeddedLog) -> dict[str, VideoSnapshot]:
    found = {}
    for event in events(bus, SNAPSHOTS):
        assert isinstance(event, VideoSnapshot)
        found[event.video_id] = event
    return found


def health(bus: EmbeddedLog) -> list[SourceHealth]:
    found = events(bus, SOURCE_HEALTH)
    assert all(isinstance(e, SourceHealth) for e in found)
    return found


def once(
    settings: ScrapeSettings,
    bus: EmbeddedLog,
    clock: FakeClock,
    sessions: ReplaySessions,
    targets: list[Target],
) -> list[Attempt]:
    async def go() -> list[Attempt]:
        async with TikTokClient(settings, open_sessions=sessions) as client:
            runner = Runner(client, bus, targets, settings=settings, clock=clock, sleep=clock.sleep)
            return await runner.run_once()

    return asyncio.run(go())


def test_real_trending_items_become_snapshots_field_by_field(
    settings: ScrapeSettings, bus: EmbeddedLog, clock: FakeClock
) -> None:
    items = trending_items()
    [attempt] = once(settings, bus, clock, ReplaySessions({TRENDING: page(items)}), [TREND])
    assert (attempt.ok, attempt.received, attempt.published, attempt.rejected) == (True, 10, 10, 0)

    found = snapshots(bus)
    assert len(found) == 10
    cats = found["6973647912953728262"]
    # The engine's event time is when the item arrived: the clock read for it (second item).
    assert cats.collected_at == START + timedelta(seconds=2)
    assert cats.source == "trending"
    assert (cats.stats.plays, cats.stats.likes, cats.stats.comments, cats.stats.shares) == (
        37_400_000,
        1_900_000,
        15_800,
        85_200,
    )
    assert cats.stats.saves is None  # 2021 items had no collectCount
    assert cats.exact_counts is False  # 37.4M is TikTok's rounding
    assert cats.hashtags == ("foryou", "funny", "cat", "dog")
    assert cats.author.id == items[1]["author"]["id"]
    assert cats.author.unique_id == items[1]["author"]["uniqueId"]

    plain = found["6982106906949176603"]  # a real item with no hashtags at all
    assert plain.hashtags == ()
    assert (plain.stats.plays, plain.stats.likes) == (257_200, 11_400)
    assert plain.author.unique_id == "stampstampkab"
    assert plain.music is not None and plain.music.id == "6964603430451153665"

    [record] = health(bus)
    assert (record.target, record.ok, record.items, record.consecutive_failures) == (
        "trending",
        True,
        10,
        0,
    )
    assert record.last_success == record.checked_at
    assert record.next_attempt_at == record.checked_at + timedelta(minutes=10)


def test_user_posts_of_2025_use_statsv2(
    settings: ScrapeSettings, bus: EmbeddedLog, clock: FakeClock
) -> None:
    response = user_post_response()
    item = copy.deepcopy(response["itemList"][0])
    # Real statsV2 equals stats in this sample; make them differ to see which one is read.
    item["statsV2"]["playCount"] = "1903456"
    body = json.dumps({**response, "itemList": [item], "hasMore": False})
    sessions = ReplaySessions({"/api/user/detail/": user_detail(), "/api/post/item_list/": body})
    [attempt] = once(settings, bus, clock, sessions, [Target("user", "zg.520", 30, 600)])
    assert attempt.ok and attempt.published == 1
    snap = snapshots(bus)["7513039993741397256"]
    assert snap.source == "user:zg.520"
    assert (snap.stats.plays, snap.stats.likes, snap.stats.comments) == (1_903_456, 68_300, 1_502)
    assert (snap.stats.shares, snap.stats.saves) == (2_528, 5_012)
    assert snap.hashtags == ("china", "中国高铁🚅")


def test_live_rooms_are_skipped_and_bad_items_dead_lettered(
    settings: ScrapeSettings, bus: EmbeddedLog, clock: FakeClock
) -> None:
    items = trending_items()
    live = {**copy.deepcopy(items[2]), "id": "", "liveRoomInfo": {"roomId": "7301"}}
    broken = copy.deepcopy(items[3])
    broken["stats"]["playCount"] = -5
    feed = [items[0], live, broken, items[4]]
    [attempt] = once(settings, bus, clock, ReplaySessions({TRENDING: page(feed)}), [TREND])
    assert (attempt.ok, attempt.received, attempt.skipped) == (True, 4, 1)
    assert (attempt.published, attempt.rejected) == (2, 1)
    assert set(snapshots(bus)) == {items[0]["id"], items[4]["id"]}
    [letter] = events(bus, DEAD_LETTERS)
    assert isinstance(letter, DeadLetter)
    assert letter.origin == "trending"
    assert letter.reason.startswith("negative count")
    assert letter.field == "$.stats.playCount"
    assert letter.raw is not None and json.loads(letter.raw)["id"] == items[3]["id"]


def test_blocked_attempt_is_a_failure_with_its_reason_never_no_trends(
    settings: ScrapeSettings, bus: EmbeddedLog, clock: FakeClock
) -> None:
    sessions = ReplaySessions({TRENDING: page(trending_items()), "/api/challenge/detail/": CAPTCHA})
    attempts = once(settings, bus, clock, sessions, [TREND, Target("hashtag", "dance", 30, 600)])
    assert [a.ok for a in attempts] == [True, False]
    assert attempts[1].error == "captcha (slide) from /api/challenge/detail/"
    records = health(bus)
    assert [(r.target, r.ok) for r in records] == [("trending", True), ("hashtag:dance", False)]
    blocked = records[1]
    assert blocked.items == 0 and blocked.consecutive_failures == 1
    assert blocked.last_error == attempts[1].error and blocked.last_success is None
    assert blocked.next_attempt_at is not None
    wait = (blocked.next_attempt_at - blocked.checked_at).total_seconds()
    assert 15 <= wait <= 30  # first backoff, not the 10-minute interval


def test_items_before_a_block_are_kept_and_the_attempt_still_fails(
    settings: ScrapeSettings, bus: EmbeddedLog, clock: FakeClock
) -> None:
    items = trending_items()
    sessions = ReplaySessions({TRENDING: [page(items[:3], has_more=True), ""]})
    [attempt] = once(settings, bus, clock, sessions, [TREND])
    assert (attempt.ok, attempt.received, attempt.published) == (False, 3, 3)
    assert attempt.error is not None and "empty response" in attempt.error
    [record] = health(bus)
    assert (record.ok, record.items) == (False, 3)


def test_forever_schedule_backs_off_and_recovers(
    settings: ScrapeSettings, bus: EmbeddedLog, clock: FakeClock
) -> None:
    items = trending_items()
    # One queue shared by every session the client opens (it reopens after each failure).
    answers = [page(items), "", CAPTCHA, page(items)]
    sessions = ReplaySessions({TRENDING: answers})
    seen: list[Attempt] = []

    async def go() -> int:
        async with TikTokClient(settings, open_sessions=sessions) as client:
            runner = Runner(
                client,
                bus,
                [TREND],
                settings=settings,
                clock=clock,
                sleep=clock.sleep,
                on_attempt=seen.append,
            )
            return await runner.run_forever(max_attempts=4)

    assert asyncio.run(go()) == 4
    records = health(bus)
    assert [r.ok for r in records] == [True, False, False, True]
    assert [r.consecutive_failures for r in records] == [0, 1, 2, 0]
    first_success = records[0].checked_at
    assert records[1].last_success == first_success == records[2].last_success
    assert records[2].last_error == "captcha (slide) from /api/recommend/item_list/"
    assert records[3].last_success == records[3].checked_at
    # Waits: the interval after a success, then growing, jittered backoff.
    gaps = [(r.next_attempt_at - r.checked_at).total_seconds() for r in records[:3]]  # type: ignore[operator]
    assert gaps[0] == 600 and 15 <= gaps[1] <= 30 and 30 <= gaps[2] <= 60
    assert len(clock.sleeps) == 3
    assert sessions.opened == 3  # reopened after each failure
    assert len(snapshots(bus)) == 10  # same videos twice: two snapshots each by collection time
    assert len(events(bus, SNAPSHOTS)) == 20
    assert [a.ok for a in seen] == [True, False, False, True]


def test_terminal_errors_stop_a_target(
    settings: ScrapeSettings, bus: EmbeddedLog, clock: FakeClock
) -> None:
    class Misconfigured:
        async def items(self, target: Target) -> AsyncGenerator[dict[str, Any], None]:
            raise ConfigError("no msToken: set TRENDMON_SCRAPE_MS_TOKENS")
            yield {}

    runner = Runner(
        Misconfigured(), bus, [TREND], settings=settings, clock=clock, sleep=clock.sleep
    )
    assert asyncio.run(runner.run_forever()) == 1  # ends: nothing left to try
    [record] = health(bus)
    assert not record.ok and record.next_attempt_at is None
    assert record.last_error == "no msToken: set TRENDMON_SCRAPE_MS_TOKENS"
