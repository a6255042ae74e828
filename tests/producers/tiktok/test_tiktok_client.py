"""The TikTokApi adapter against replayed TikTok answers, real TikTokApi code above the page."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import pytest
from tiktok_replay import (
    BLOCK_PAGE,
    CAPTCHA,
    HANG,
    SIGN_TIMEOUT,
    ReplaySessions,
    browser_died,
    challenge_detail,
    instant_library_sleep,
    page,
    search_page,
    trending_items,
    user_detail,
    user_post_response,
)
from TikTokApi.exceptions import EmptyResponseException

from trendmon.errors import ConfigError, SourceBlockedError
from trendmon.producers.tiktok.client import (
    TikTokClient,
    check_response,
    chromium_path,
    ms_tokens,
    preflight,
)
from trendmon.producers.tiktok.targets import Target
from trendmon.settings import ScrapeSettings

TRENDING = "/api/recommend/item_list/"


def target(spec: str, budget: int = 30) -> Target:
    kind, _, value = spec.partition(":")
    return Target(kind, value or None, budget, 600)  # type: ignore[arg-type]


async def collect(client: TikTokClient, t: Target) -> list[dict[str, Any]]:
    items: AsyncGenerator[dict[str, Any], None] = client.items(t)
    return [item async for item in items]


def run(settings: ScrapeSettings, sessions: ReplaySessions, t: Target) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with TikTokClient(settings, open_sessions=sessions) as client:
            return await collect(client, t)

    return asyncio.run(go())


def test_trending_yields_the_raw_items_through_tiktokapi(settings: ScrapeSettings) -> None:
    items = trending_items()
    sessions = ReplaySessions({TRENDING: page(items)})
    got = run(settings, sessions, target("trending"))
    assert got == items  # video.as_dict is the item exactly as TikTok sent it
    assert sessions.requests() == [TRENDING]
    params = sessions.page.params()
    # make_request merged the session's params, the msToken and TikTok's signature.
    assert params["msToken"] == "replay-ms-token"
    assert params["X-Bogus"] == "DFSzswVReplay"
    assert params["count"] == "30" and params["from_page"] == "fyp"


def test_budget_stops_paging(settings: ScrapeSettings) -> None:
    items = trending_items()
    sessions = ReplaySessions({TRENDING: [page(items[:4], has_more=True), page(items[4:])]})
    got = run(settings, sessions, target("trending", budget=6))
    assert [i["id"] for i in got] == [i["id"] for i in items[:6]]
    assert sessions.requests() == [TRENDING, TRENDING]


def test_each_kind_calls_its_endpoint(settings: ScrapeSettings) -> None:
    items = trending_items()[:2]
    post = user_post_response()
    sessions = ReplaySessions(
        {
            "/api/challenge/detail/": challenge_detail("dance", "5054"),
            "/api/challenge/item_list/": page(items),
            "/api/music/item_list/": page(items),
            "/api/user/detail/": user_detail(),
            "/api/post/item_list/": json.dumps({**post, "hasMore": False}),
            "/api/search/item/full/": search_page(items),
        }
    )

    async def go() -> None:
        async with TikTokClient(settings, open_sessions=sessions) as client:
            assert len(await collect(client, target("hashtag:dance"))) == 2
            assert sessions.page.params()["challengeID"] == "5054"
            assert len(await collect(client, target("sound:7016547803243022337"))) == 2
            assert sessions.page.params()["musicID"] == "7016547803243022337"
            got = await collect(client, target("user:zg.520"))
            assert [i["id"] for i in got] == [i["id"] for i in post["itemList"]]
            assert sessions.page.params()["secUid"].startswith("MS4wLjABAAAAkagks5n_")
            assert len(await collect(client, target("search:cat videos"))) == 2
            assert sessions.page.params()["keyword"] == "cat videos"

    asyncio.run(go())
    assert sessions.requests() == [
        "/api/challenge/detail/",
        "/api/challenge/item_list/",
        "/api/music/item_list/",
        "/api/user/detail/",
        "/api/post/item_list/",
        "/api/search/item/full/",
    ]
    assert sessions.opened == 1  # one browser session served every target


def blocked(settings: ScrapeSettings, routes: dict[str, Any]) -> SourceBlockedError:
    sessions = ReplaySessions(routes)
    with pytest.raises(SourceBlockedError) as info:
        run(settings, sessions, target("trending"))
    return info.value


def test_empty_response_is_blocked(settings: ScrapeSettings) -> None:
    error = blocked(settings, {TRENDING: ""})
    assert "empty response" in str(error)
    assert isinstance(error.__cause__, EmptyResponseException)


def test_invalid_json_is_blocked_after_tiktokapis_own_retries(
    settings: ScrapeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept = instant_library_sleep(monkeypatch)
    error = blocked(settings, {TRENDING: BLOCK_PAGE})
    assert "invalid JSON" in str(error)
    # TikTokApi 7.3.3 tried three times, slept 2 s and 4 s, then failed to build its own
    # InvalidJSONException (it passes no arguments): what escapes is this TypeError.
    assert slept == [2, 4]
    assert isinstance(error.__cause__, TypeError)
    assert "TikTokException.__init__()" in str(error.__cause__)


def test_captcha_is_blocked_not_an_empty_feed(settings: ScrapeSettings) -> None:
    error = blocked(settings, {TRENDING: CAPTCHA})
    assert str(error) == "captcha (slide) from /api/recommend/item_list/"


def test_error_status_is_blocked(settings: ScrapeSettings) -> None:
    body = json.dumps({"statusCode": 10201, "status_msg": "rate limited", "itemList": []})
    error = blocked(settings, {TRENDING: body})
    assert str(error) == "TikTok answered status 10201 from /api/recommend/item_list/: rate limited"


def test_zero_items_is_blocked_not_no_trends(settings: ScrapeSettings) -> None:
    error = blocked(settings, {TRENDING: page([])})
    assert "TikTok answered but sent no items for trending" in str(error)


def test_empty_page_claiming_more_stops_instead_of_looping(settings: ScrapeSettings) -> None:
    sessions = ReplaySessions({TRENDING: page([], has_more=True)})
    with pytest.raises(SourceBlockedError, match="empty page that claims more"):
        run(settings, sessions, target("trending"))
    assert sessions.requests() == [TRENDING]


def test_signing_timeout_is_blocked(settings: ScrapeSettings) -> None:
    error = blocked(settings, {"sign": SIGN_TIMEOUT, TRENDING: page(trending_items())})
    assert str(error) == "timeout: Failed to load tiktok after 5 attempts, consider using a proxy"


def test_a_fetch_that_never_answers_times_out(settings: ScrapeSettings) -> None:
    quick = settings.model_copy(update={"timeout_s": 0.05})
    error = blocked(quick, {TRENDING: HANG})
    assert str(error) == "timeout: no answer within 0.05s"


def test_partial_answer_keeps_the_items_then_fails(settings: ScrapeSettings) -> None:
    items = trending_items()
    sessions = ReplaySessions({TRENDING: [page(items[:3], has_more=True), ""]})
    got: list[dict[str, Any]] = []

    async def go() -> None:
        async with TikTokClient(settings, open_sessions=sessions) as client:
            async for item in client.items(target("trending")):
                got.append(item)

    with pytest.raises(SourceBlockedError, match="empty response"):
        asyncio.run(go())
    assert len(got) == 3


def test_sessions_reopen_after_a_dead_browser(
    settings: ScrapeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    instant_library_sleep(monkeypatch)
    items = trending_items()
    routes: list[dict[str, Any]] = [{TRENDING: browser_died()}, {TRENDING: page(items)}]
    answers = iter(routes)
    sessions = ReplaySessions(lambda: next(answers))

    async def go() -> list[dict[str, Any]]:
        async with TikTokClient(settings, open_sessions=sessions) as client:
            # TikTokApi drops the dead session, finds no other, and raises a plain Exception.
            with pytest.raises(SourceBlockedError, match="No valid sessions available"):
                await collect(client, target("trending"))
            return await collect(client, target("trending"))

    assert len(asyncio.run(go())) == 10
    assert sessions.opened == 2
    assert sessions.pages[0].closed


def test_a_session_that_cannot_open_is_blocked(settings: ScrapeSettings) -> None:
    async def no_browser(api: Any, s: ScrapeSettings) -> None:
        raise TimeoutError("navigation to tiktok.com took too long")

    async def go() -> None:
        async with TikTokClient(settings, open_sessions=no_browser) as client:
            await collect(client, target("trending"))

    with pytest.raises(SourceBlockedError, match="could not open a TikTok session: timeout"):
        asyncio.run(go())


def test_check_response_accepts_a_real_page() -> None:
    check_response("https://www.tiktok.com/api/post/item_list/", user_post_response())


def test_missing_ms_token_and_chromium_name_the_variables(tmp_path: Path) -> None:
    bare = ScrapeSettings(_env_file=None, chromium_path=tmp_path / "chromium")  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="TRENDMON_SCRAPE_MS_TOKENS"):
        ms_tokens(bare)
    with pytest.raises(ConfigError, match="TRENDMON_SCRAPE_CHROMIUM_PATH") as info:
        chromium_path(bare)
    assert "apt-get install chromium" in str(info.value)
    (tmp_path / "chromium").write_text("")
    ready = bare.model_copy(update={"ms_tokens": bare.ms_tokens.__class__(" a, b ,")})
    preflight(ready)
    assert ms_tokens(ready) == ["a", "b"]


def test_an_item_tiktokapi_cannot_wrap_is_reported_not_a_crash(settings: ScrapeSettings) -> None:
    items = trending_items()[:2]
    del items[1]["createTime"]  # Video.__init__ does int(None): a TypeError inside TikTokApi
    error = blocked(settings, {TRENDING: page(items)})
    assert str(error).startswith("TikTokApi could not read the answer (TypeError: ")
