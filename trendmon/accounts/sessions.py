"""Server-side sessions and one-time sign-in links.

A session id is 256 random bits in an ``HttpOnly`` cookie; the store keeps its hash, the
account and the CSRF token its pages must send. It ends when idle for ``idle_s``, ``max_s``
after it began, at logout, or when the account changes (password, role, disabled, removed).
Every sign-in creates a new id (no session fixation). ``last seen`` is written at most once
per :data:`TOUCH_EVERY_MS`, so that a wall's callbacks do not write on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from trendmon.accounts.roles import Role
from trendmon.accounts.store import AccountStore, Session, SignIn, User
from trendmon.accounts.tokens import digest, new_token
from trendmon.errors import AuthenticationError

TOUCH_EVERY_MS: Final = 30_000
SIGNIN_TTL_MS: Final = 15 * 60_000


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: an account with a role, or a kiosk (``role`` None)."""

    name: str
    role: Role | None
    csrf: str
    kiosk_id: str | None = None
    market: str = ""
    """A kiosk's one market (empty: any)."""
    boards: str = ""
    """A kiosk's boards, comma-separated (empty: all)."""


def start(store: AccountStore, user: User, now_ms: int) -> tuple[str, str]:
    """A new session of ``user``: ``(session id, csrf token)``; only the id's hash is kept."""
    token, csrf = new_token(), new_token()
    store.add_session(Session(digest(token), user.name, csrf, now_ms, now_ms))
    return token, csrf


def resolve(
    store: AccountStore, token: str, now_ms: int, idle_s: float, max_s: float
) -> Principal | None:
    """The account behind a session id, or None (unknown, expired, account disabled or gone);
    an expired session is removed."""
    if not token or len(token) > 128:
        return None
    id_hash = digest(token)
    session = store.get_session(id_hash)
    if session is None:
        return None
    if now_ms - session.seen_ms > idle_s * 1000 or now_ms - session.created_ms > max_s * 1000:
        store.remove_session(id_hash)
        return None
    user = store.get_user(session.user)
    if user is None or user.disabled:
        store.remove_session(id_hash)
        return None
    if now_ms - session.seen_ms > TOUCH_EVERY_MS:
        store.touch_session(id_hash, now_ms)
    return Principal(user.name, Role[user.role], session.csrf)


def end(store: AccountStore, token: str) -> None:
    """Log out: the session id no longer opens anything."""
    if token:
        store.remove_session(digest(token))


def create_signin(store: AccountStore, user: User, now_ms: int, ttl_ms: int = SIGNIN_TTL_MS) -> str:
    """A one-time sign-in link's token for ``user`` (printed by ``trendmon run``)."""
    token = new_token()
    store.add_signin(SignIn(digest(token), user.name, now_ms + ttl_ms))
    return token


def redeem_signin(store: AccountStore, token: str, now_ms: int) -> User:
    """The account of a sign-in link, which then no longer works."""
    signin = store.take_signin(digest(token)) if 0 < len(token) <= 128 else None
    user = store.get_user(signin.user) if signin and signin.expires_ms >= now_ms else None
    if user is None or user.disabled:
        raise AuthenticationError("this sign-in link is not valid (used, expired or unknown)")
    return user
