"""Kiosk links: a wall display opens ``/kiosk/TOKEN`` once and gets a cookie for ``/wall``.

``trendmon kiosk create`` prints the link once; the store keeps the token's hash. Opening the
link swaps it for a cookie (a new secret, also kept as a hash) and redirects to ``/wall``, so the
token leaves the address bar and a copy of the link (history, logs, a photo) opens nothing more.
The cookie reads ``/wall`` and its stream only, until the kiosk expires or is revoked; an open
stream checks it every few seconds and ends when it is revoked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from trendmon.accounts.store import AccountStore, Kiosk
from trendmon.accounts.tokens import digest, new_token
from trendmon.errors import AccountError, AuthenticationError, UnknownAccountError

WALL_BOARDS = ("videos", "hashtags", "sounds", "creators", "spikes", "next")
"""The wall's boards a kiosk may be limited to (the wall's own list, which this must match)."""


def check_view(market: str, boards: Iterable[str]) -> tuple[str, str]:
    """A kiosk's limits as stored: ``(market, "b1,b2")``; AccountError names a bad one."""
    market = market.strip().upper()
    if market in ("", "ALL"):
        market = ""
    elif not re.fullmatch(r"[A-Z]{2}", market):
        raise AccountError(f"market: {market[:20]!r} is not a market; give US, GB, ... or all")
    chosen = [b.strip().lower() for b in boards if b.strip()]
    for board in chosen:
        if board not in WALL_BOARDS:
            raise AccountError(
                f"boards: {board[:20]!r} is not a board of the wall; choose from "
                f"{', '.join(WALL_BOARDS)}"
            )
    return market, ",".join(dict.fromkeys(chosen))


def create(
    store: AccountStore,
    name: str,
    now_ms: int,
    ttl_ms: int,
    market: str = "",
    boards: Iterable[str] = (),
) -> tuple[Kiosk, str]:
    """A new kiosk and its link's token (shown once), limited to ``market`` and ``boards``
    when given (:func:`check_view`)."""
    market, shown = check_view(market, boards)
    token = new_token()
    kiosk = Kiosk(
        new_token()[:12], name[:80], now_ms, now_ms + ttl_ms, digest(token),
        market=market, boards=shown,
    )  # fmt: skip
    store.add_kiosk(kiosk)
    return kiosk, token


def exchange(store: AccountStore, token: str, now_ms: int) -> str:
    """Swap a kiosk link's token for a cookie secret; the link then no longer works."""
    cookie = new_token()
    kiosk = store.take_kiosk_token(digest(token), digest(cookie)) if 0 < len(token) <= 128 else None
    if kiosk is None or kiosk.revoked or kiosk.expires_ms < now_ms:
        raise AuthenticationError(
            "this kiosk link is not valid (used, revoked, expired or unknown)"
        )
    store.update_kiosk(kiosk.id, last_used_ms=now_ms)
    return cookie


def resolve(store: AccountStore, cookie: str, now_ms: int) -> Kiosk | None:
    """The live kiosk of a kiosk cookie, or None (unknown, revoked, expired)."""
    if not cookie or len(cookie) > 128:
        return None
    kiosk = store.find_kiosk("cookie_hash", digest(cookie))
    if kiosk is None or kiosk.revoked or kiosk.expires_ms < now_ms:
        return None
    if kiosk.last_used_ms is None or now_ms - kiosk.last_used_ms > 30_000:
        store.update_kiosk(kiosk.id, last_used_ms=now_ms)
    return kiosk


def revoke(store: AccountStore, kiosk_id: str) -> Kiosk:
    kiosk = store.find_kiosk("id", kiosk_id)
    if kiosk is None:
        raise UnknownAccountError(f"no kiosk link with id {kiosk_id[:40]!r} (trendmon kiosk list)")
    store.update_kiosk(kiosk.id, revoked=True, token_hash=None, cookie_hash=None)
    return kiosk
