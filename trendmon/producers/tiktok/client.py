"""A thin adapter around TikTokApi 7.3.3: sessions, one target's raw items, blocking as errors.

TikTokApi drives a real Chromium (Playwright) on tiktok.com and fetches TikTok's web API from
inside the page, so requests carry the page's cookies and signatures. This module opens those
sessions with the configured ``msToken`` cookies and the Debian Chromium, iterates a target's
videos as raw itemStruct dicts (``video.as_dict``), and turns every way TikTok blocks a scraper
into :class:`~trendmon.errors.SourceBlockedError`. What TikTokApi 7.3.3 does in each case (read
from its source, and exercised by the tests through a replayed page):

- **empty response**: ``make_request`` raises ``EmptyResponseException`` at once.
- **invalid JSON** (an HTML block page): ``make_request`` retries twice, sleeping 2 s and 4 s,
  then executes ``raise InvalidJSONException()``; that class requires two arguments, so what
  escapes is a ``TypeError`` about ``TikTokException.__init__()``. Both are mapped.
- **captcha**: ``CaptchaException`` exists but 7.3.3 never raises it. A captcha arrives as JSON
  like ``{"code": "10000", "type": "verify", "subtype": "slide", ...}``, which ``make_request``
  returns after logging "unexpected status code"; the endpoints then find no ``itemList`` and
  end quietly with zero videos. :func:`check_response` catches it instead.
- **error status** (``statusCode`` not 0): returned as data too, and checked here.
- **timeouts**: when TikTok's signing script never loads, ``generate_x_bogus`` raises
  Playwright's ``TimeoutError`` after five waits of 5-20 s. A fetch that never answers would
  hang forever (``page.evaluate`` has no timeout), so each step here has a deadline.
- **dead browser**: the fetch raises Playwright's ``Error``; ``make_request`` drops the session,
  looks for another and, with none left, raises a plain ``Exception("No valid sessions
  available...")``. Sessions are reopened on the next attempt.
- **zero items**: an endpoint that ends without a single video is reported as blocked, never as
  an empty feed.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import TikTokApi.tiktok as _tiktok_module
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from TikTokApi import TikTokApi
from TikTokApi.exceptions import (
    CaptchaException,
    EmptyResponseException,
    InvalidJSONException,
    TikTokException,
)

from trendmon.errors import ConfigError, SourceBlockedError
from trendmon.producers.tiktok.targets import Target
from trendmon.settings import ScrapeSettings

SessionOpener = Callable[[Any, ScrapeSettings], Awaitable[None]]
"""Opens sessions on a fresh ``TikTokApi``: a real browser by default, a replay in tests."""

MS_TOKENS_ENV: Final = "TRENDMON_SCRAPE_MS_TOKENS"
CHROMIUM_ENV: Final = "TRENDMON_SCRAPE_CHROMIUM_PATH"
_LIBRARY_DIR: Final = str(Path(_tiktok_module.__file__).parent)
"""TikTokApi's package folder: exceptions raised from code in it are the library's."""
_LOGGER_NAME: Final = "trendmon.tiktokapi"


def ms_tokens(settings: ScrapeSettings) -> list[str]:
    """The configured msToken cookies; ConfigError naming the variable when there are none."""
    tokens = [t.strip() for t in settings.ms_tokens.get_secret_value().split(",") if t.strip()]
    if not tokens:
        raise ConfigError(
            f"no msToken: set {MS_TOKENS_ENV} (environment or ./.env) to the msToken cookie of a "
            "browser logged in to tiktok.com (several: comma-separated)"
        )
    return tokens


def chromium_path(settings: ScrapeSettings) -> Path:
    """The Chromium executable; ConfigError naming the variable when it is not there."""
    path = settings.chromium_path
    if not path.is_file():
        raise ConfigError(
            f"Chromium not found at {path}: install it (apt-get install chromium) or set "
            f"{CHROMIUM_ENV} to a Chromium executable"
        )
    return path


def preflight(settings: ScrapeSettings) -> None:
    """Check what a real session needs before any browser starts (msToken, Chromium)."""
    ms_tokens(settings)
    chromium_path(settings)


def _proxies(settings: ScrapeSettings) -> list[dict[str, str]] | None:
    """Playwright proxy settings from a proxy URL (credentials go in their own fields)."""
    url = settings.proxy.get_secret_value().strip()
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        raise ConfigError(
            "TRENDMON_SCRAPE_PROXY is not a proxy URL: write it like http://user:pass@host:port"
        )
    server = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    proxy = {"server": server}
    if parts.username:
        proxy["username"] = parts.username
    if parts.password:
        proxy["password"] = parts.password
    return [proxy]


async def open_browser_sessions(api: Any, settings: ScrapeSettings) -> None:
    """Launch the configured Chromium and open ``settings.sessions`` sessions on tiktok.com.

    ``create_sessions`` hands ``executable_path`` to Playwright's ``chromium.launch``, so the
    Debian package is used instead of a browser downloaded by ``playwright install``.
    """
    await api.create_sessions(
        num_sessions=settings.sessions,
        headless=settings.headless,
        ms_tokens=ms_tokens(settings),
        proxies=_proxies(settings),
        browser="chromium",
        executable_path=str(chromium_path(settings)),
        timeout=int(settings.timeout_s * 1000),
    )


def check_response(url: str, data: Any) -> None:
    """Raise SourceBlockedError for answers TikTokApi returns as data although they are blocks."""
    if not isinstance(data, dict):
        raise SourceBlockedError(f"unexpected answer from {_path(url)}: {type(data).__name__}")
    if data.get("type") == "verify" or "verifyConfig" in data:
        subtype = data.get("subtype") or "?"
        raise SourceBlockedError(f"captcha ({subtype}) from {_path(url)}")
    status = data.get("statusCode", data.get("status_code", 0))
    if status not in (0, "0", None):
        message = data.get("status_msg") or data.get("statusMsg") or ""
        detail = f": {message}" if message else ""
        raise SourceBlockedError(f"TikTok answered status {status} from {_path(url)}{detail}")
    if "item_list" in url or "/search/" in url:
        items = data.get("itemList") or data.get("item_list")
        more = data.get("hasMore") or data.get("has_more")
        if not items and more:
            # The endpoints loop while hasMore is true: an empty page that claims more would be
            # requested again and again.
            raise SourceBlockedError(f"empty page that claims more from {_path(url)}")


def _path(url: str) -> str:
    return urlsplit(url).path or url


def _raised_in_library(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(_LIBRARY_DIR)


def blocked_reason(exc: BaseException, timeout_s: float) -> str | None:
    """Why an exception from TikTokApi means TikTok did not answer usably, or None (a bug)."""
    if isinstance(exc, EmptyResponseException):
        return "empty response (TikTok is treating the session as a bot)"
    if isinstance(exc, CaptchaException):
        return "captcha"
    if isinstance(exc, InvalidJSONException):
        return "invalid JSON"
    if isinstance(exc, TypeError) and "TikTokException.__init__()" in str(exc):
        # TikTokApi 7.3.3 raises InvalidJSONException() without its two required arguments.
        return "invalid JSON (an HTML page instead of data: likely a block page)"
    if isinstance(exc, PlaywrightTimeoutError):
        return f"timeout: {_first_line(exc)}"
    if isinstance(exc, TimeoutError):
        return f"timeout: no answer within {timeout_s:g}s"
    if isinstance(exc, PlaywrightError):
        return f"browser error: {_first_line(exc)}"
    if isinstance(exc, TikTokException):
        return f"{type(exc).__name__}: {exc.message}"
    if _raised_in_library(exc):
        # Plain Exception("Failed to generate X-Bogus"), ("No sessions created ..."), or a
        # KeyError/TypeError from TikTokApi wrapping an item it cannot read.
        if type(exc) is Exception:
            return _first_line(exc)
        return f"TikTokApi could not read the answer ({type(exc).__name__}: {_first_line(exc)})"
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class TikTokClient:
    """Sessions on tiktok.com and the raw items of a target.

    >>> async with TikTokClient(load(ScrapeSettings)) as client:   # doctest: +SKIP
    ...     async for item in client.items(target):
    ...         print(item["id"])

    Sessions open on first use and are reopened after any failed attempt: a blocked session tends
    to stay blocked, and a fresh one gets a new device id and page.
    """

    def __init__(
        self,
        settings: ScrapeSettings,
        *,
        open_sessions: SessionOpener | None = None,
    ) -> None:
        self.settings = settings
        self._open_sessions = open_sessions
        self._api: Any = None

    async def __aenter__(self) -> TikTokClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _started(self) -> Any:
        if self._api is not None:
            return self._api
        api = TikTokApi(logging_level=logging.WARNING, logger_name=_LOGGER_NAME)
        # TikTokApi adds a stderr handler to its logger on every instance; let records go to
        # the application's logging instead, once.
        api.logger.handlers.clear()
        api.logger.propagate = True
        original = api.make_request

        async def make_request(*args: Any, **kwargs: Any) -> Any:
            data = await original(*args, **kwargs)
            check_response(str(kwargs.get("url", args[0] if args else "")), data)
            return data

        # Every endpoint calls parent.make_request: checking here sees each page's answer.
        api.make_request = make_request
        opener = self._open_sessions or open_browser_sessions
        try:
            await opener(api, self.settings)
        except (ConfigError, SourceBlockedError):
            await self._close_api(api)
            raise
        except Exception as exc:
            await self._close_api(api)
            reason = blocked_reason(exc, self.settings.timeout_s) or _first_line(exc)
            raise SourceBlockedError(f"could not open a TikTok session: {reason}") from exc
        self._api = api
        return api

    @staticmethod
    async def _close_api(api: Any) -> None:
        await api.close_sessions()

    async def close(self) -> None:
        """Close the sessions and the browser."""
        api, self._api = self._api, None
        if api is not None:
            await self._close_api(api)

    def _videos(self, api: Any, target: Target) -> Any:
        """The endpoint's async generator of ``Video`` objects for a target."""
        count = target.budget
        match target.kind:
            case "trending":
                return api.trending.videos(count=count)
            case "hashtag":
                return api.hashtag(name=target.value).videos(count=count)
            case "sound":
                return api.sound(id=target.value).videos(count=count)
            case "user":
                return api.user(username=target.value).videos(count=count)
            case "search":
                # 7.3.3 only exposes search.users(); search_type(..., "item") yields videos.
                return api.search.search_type(target.value, "item", count=count)
        raise ConfigError(f"unknown target kind {target.kind!r}")

    async def items(self, target: Target) -> AsyncGenerator[dict[str, Any], None]:
        """Up to ``target.budget`` raw items (itemStruct dicts) of a target, as they arrive.

        Raises SourceBlockedError when TikTok blocks, times out or sends no items at all; items
        yielded before a failure are real and stay yielded.
        """
        try:
            api = await self._started()
            videos = self._videos(api, target)
        except SourceBlockedError:
            await self.close()
            raise
        received = 0
        try:
            while received < target.budget:
                try:
                    async with asyncio.timeout(self.settings.timeout_s):
                        video = await anext(videos)
                except StopAsyncIteration:
                    break
                received += 1
                yield video.as_dict
        except SourceBlockedError:
            await self.close()
            raise
        except Exception as exc:
            reason = blocked_reason(exc, self.settings.timeout_s)
            if reason is None:
                raise
            await self.close()
            raise SourceBlockedError(reason) from exc
        finally:
            await videos.aclose()
        if received == 0:
            await self.close()
            raise SourceBlockedError(
                f"TikTok answered but sent no items for {target.name} (blocked, or nothing by "
                "that name)"
            )
