"""Replaying TikTok at its request boundary, with the real TikTokApi above it.

TikTokApi 7.3.3 never speaks HTTP itself: ``make_request`` signs the URL with TikTok's script
inside a browser page (``generate_x_bogus``: ``page.wait_for_function`` then ``page.evaluate``)
and fetches it from the page (``run_fetch_script``: ``page.evaluate`` of a JS ``fetch`` that
returns the body as text). :class:`ReplayPage` stands in for that Playwright page and answers
the fetch with recorded bodies, so TikTokApi's endpoints, ``make_request`` (its empty-response,
JSON and retry handling), ``Video`` wrapping and session bookkeeping all run for real. The
session object is TikTokApi's own ``TikTokPlaywrightSession``; only the browser is absent.

Bodies are built from the real samples in ``../shared/samples`` (read at test time, never
copied into the repository).
"""

from __future__ import annotations

import asyncio
import json
import re
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from TikTokApi.tiktok import TikTokPlaywrightSession

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeClock:
    """Each read advances one second, so items get distinct collection times; ``sleep``
    advances by the requested time at once and records it."""

    def __init__(self, start: datetime = START, step_s: float = 1.0) -> None:
        self.now = start
        self.step = timedelta(seconds=step_s)
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples"

HANG = object()
"""A response that never comes (the fetch promise never settles)."""
SIGN_TIMEOUT = object()
"""TikTok's signing script never loads: ``wait_for_function`` times out."""

# The shape of TikTok's captcha answer, as TikTokApi's issue #627 quotes it (detail shortened).
CAPTCHA = json.dumps(
    {
        "code": "10000",
        "from": "",
        "type": "verify",
        "version": "",
        "region": "va",
        "subtype": "slide",
        "detail": "GDIqyl9SLA5lVSsn4JVxPJ2cYRgDuhDP2NBDA0FqMagtMGQB8TGV2kpodkbZzjHK",
        "verify_event": "",
        "fp": "verify_replay",
    }
)
BLOCK_PAGE = "<!DOCTYPE html><html><head><title>tiktok-verify-page</title></head></html>"


def sample(name: str) -> Any:
    """A real sample, or skip the test when the shared folder is not beside the repository."""
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(
            f"real TikTok sample {name} not found in {SAMPLES}: these tests read the shared "
            "samples folder beside the repository (it is not copied into the repo)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def trending_items() -> list[dict[str, Any]]:
    """The 10 real trending-feed items of 2021 (old shape: no statsV2)."""
    items: list[dict[str, Any]] = sample("teerut26_trending_itemStruct_2021.json")
    return items


def user_post_response() -> dict[str, Any]:
    """The real 2025 ``/api/post/item_list/`` answer (statsV2, contents[])."""
    data: dict[str, Any] = sample("neovolkov_get_user_post_2025.json")["data"]
    return data


def page(items: list[Any], *, has_more: bool = False, cursor: int = 0) -> str:
    """One ``item_list`` page as TikTok's web API sends it."""
    return json.dumps(
        {
            "itemList": items,
            "hasMore": has_more,
            "cursor": str(cursor),
            "statusCode": 0,
            "status_code": 0,
            "status_msg": "",
        }
    )


def search_page(items: list[Any], *, has_more: bool = False) -> str:
    """One ``/api/search/item/full/`` page (snake_case keys there)."""
    return json.dumps({"item_list": items, "has_more": int(has_more), "status_code": 0})


def challenge_detail(name: str, challenge_id: str = "5054") -> str:
    """A ``/api/challenge/detail/`` answer, which ``Hashtag.videos`` reads for the id."""
    return json.dumps(
        {
            "challengeInfo": {
                "challenge": {"id": challenge_id, "title": name, "splitTitle": ""},
                "stats": {"videoCount": 1, "viewCount": 1},
            },
            "statusCode": 0,
            "status_code": 0,
        }
    )


def user_detail() -> str:
    """The real ``/api/user/detail/`` answer of 2025, which ``User.videos`` reads for secUid."""
    return json.dumps(sample("neovolkov_get_user_detail_2025.json")["data"])


Response = str | BaseException | object
Routes = dict[str, list[Response] | Response]


class ReplayContext:
    """The browser context: cookies and close, all TikTokApi asks of it here."""

    def __init__(self, ms_token: str) -> None:
        self.ms_token = ms_token
        self.closed = False

    async def cookies(self) -> list[dict[str, str]]:
        return [{"name": "msToken", "value": self.ms_token}]

    async def add_cookies(self, cookies: list[dict[str, Any]]) -> None:
        pass

    async def close(self) -> None:
        self.closed = True


class ReplayPage:
    """A Playwright page whose ``fetch`` answers come from ``routes``.

    ``routes`` maps an API path (``/api/recommend/item_list/``) to one response or a list served
    in order (the last one repeats): a body string, an exception to raise from the page, or
    :data:`HANG`. :data:`SIGN_TIMEOUT` under the key ``"sign"`` makes signing time out.
    Every fetched URL is kept in ``requests``.
    """

    url = "https://www.tiktok.com/"

    def __init__(self, routes: Routes) -> None:
        self.routes = {k: (v if isinstance(v, list) else [v]) for k, v in routes.items()}
        self.requests: list[str] = []
        self.closed = False

    def params(self, index: int = -1) -> dict[str, str]:
        """Query parameters of a fetched URL."""
        return {k: v[0] for k, v in parse_qs(urlsplit(self.requests[index]).query).items()}

    def paths(self) -> list[str]:
        return [urlsplit(url).path for url in self.requests]

    async def wait_for_function(self, expression: str, timeout: float | None = None) -> None:
        if self.routes.get("sign") == [SIGN_TIMEOUT]:
            raise PlaywrightTimeoutError(f"Timeout {timeout}ms exceeded.")

    async def goto(self, url: str) -> None:
        pass

    async def close(self) -> None:
        self.closed = True

    async def evaluate(self, script: str) -> Any:
        if "frontierSign" in script:
            return {"X-Bogus": "DFSzswVReplay"}
        match = re.search(r"fetch\('([^']*)'", script)
        assert match, f"unexpected script evaluated in the page: {script[:80]}"
        url = match.group(1)
        self.requests.append(url)
        path = urlsplit(url).path
        queue = self.routes.get(path)
        assert queue, f"no recorded answer for {path}"
        response = queue.pop(0) if len(queue) > 1 else queue[0]
        if response is HANG:
            await asyncio.Event().wait()
        if isinstance(response, BaseException):
            raise response
        return response


def browser_died() -> PlaywrightError:
    return PlaywrightError("Target page, context or browser has been closed")


class ReplaySessions:
    """A session opener for ``TikTokClient``: puts a real ``TikTokPlaywrightSession`` on a
    :class:`ReplayPage` into the api, instead of launching Chromium."""

    def __init__(self, routes: Routes | Callable[[], Routes]) -> None:
        self._routes = routes
        self.pages: list[ReplayPage] = []

    @property
    def page(self) -> ReplayPage:
        return self.pages[-1]

    @property
    def opened(self) -> int:
        return len(self.pages)

    def requests(self) -> list[str]:
        return [urlsplit(url).path for p in self.pages for url in p.requests]

    async def __call__(self, api: Any, settings: Any) -> None:
        routes = self._routes() if callable(self._routes) else self._routes
        replay_page = ReplayPage(routes)
        self.pages.append(replay_page)
        token = settings.ms_tokens.get_secret_value().split(",")[0]
        api.sessions.append(
            TikTokPlaywrightSession(
                context=ReplayContext(token),
                page=replay_page,
                params={"aid": "1988", "app_name": "tiktok_web", "device_platform": "web_pc"},
                headers={"user-agent": "Mozilla/5.0 (replay)"},
                ms_token=token,
            )
        )


def instant_library_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make TikTokApi's own retry sleeps instant (only in its module); return their lengths."""
    import TikTokApi.tiktok as tiktok_module

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    proxy = types.SimpleNamespace(**{name: getattr(asyncio, name) for name in dir(asyncio)})
    proxy.sleep = sleep
    monkeypatch.setattr(tiktok_module, "asyncio", proxy)
    return slept
