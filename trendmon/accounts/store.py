"""The records of accounts, sessions, kiosk, sign-in links and API tokens, and their store.

Two implementations keep them beside the history: ``trendmon.sinks.sqlite.accounts`` (the file
``TRENDMON_HOME/accounts.sqlite3``) and ``trendmon.sinks.mongo.accounts`` (collections
``users``, ``sessions``, ``kiosks``, ``signins``, ``api_tokens``, ``audit`` of the history's
database).
One test suite runs against both. Times are epoch milliseconds; secrets are stored only as
their SHA-256 (:func:`~trendmon.accounts.tokens.digest`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class User:
    """An account. ``password_hash`` is None for an account that cannot sign in with a
    password (the local admin of a one-time sign-in link)."""

    name: str
    role: str
    password_hash: str | None
    created_ms: int
    disabled: bool = False


@dataclass(frozen=True)
class Session:
    """A signed-in browser: ``id_hash`` of the cookie's id, ``csrf`` the token its pages send."""

    id_hash: str
    user: str
    csrf: str
    created_ms: int
    seen_ms: int


@dataclass(frozen=True)
class Kiosk:
    """A kiosk link for a wall display. ``token_hash`` (the link) is cleared once the link was
    exchanged for a cookie, whose hash is ``cookie_hash``."""

    id: str
    name: str
    created_ms: int
    expires_ms: int
    token_hash: str | None
    cookie_hash: str | None = None
    last_used_ms: int | None = None
    revoked: bool = False
    market: str = ""
    """The one market its wall shows (``US``); empty: any the URL asks for."""
    boards: str = ""
    """The boards its wall may show, comma-separated (``videos,hashtags``); empty: all."""


@dataclass(frozen=True)
class SignIn:
    """A one-time sign-in link for ``user``."""

    token_hash: str
    user: str
    expires_ms: int


@dataclass(frozen=True)
class ApiToken:
    """An API token for ``/api/v1/`` (``Authorization: Bearer ...``) with a role."""

    id: str
    name: str
    role: str
    token_hash: str
    created_ms: int
    expires_ms: int
    last_used_ms: int | None = None
    revoked: bool = False


@dataclass(frozen=True)
class AuditEvent:
    """Who did what, when, from where (an address, or ``cli`` for the command line)."""

    at_ms: int
    who: str
    action: str
    target: str
    source: str


class AccountStore(Protocol):
    """Where accounts and sessions live. Both backends pass one test suite."""

    def add_user(self, user: User) -> bool:
        """Store a new account; False if the name is taken."""
        ...

    def get_user(self, name: str) -> User | None: ...

    def users(self) -> list[User]:
        """Every account, by name."""
        ...

    def update_user(self, name: str, **fields: Any) -> bool:
        """Change some of an account's fields; False if there is no such account."""
        ...

    def remove_user(self, name: str) -> bool: ...

    def add_session(self, session: Session) -> None: ...

    def get_session(self, id_hash: str) -> Session | None: ...

    def touch_session(self, id_hash: str, seen_ms: int) -> None: ...

    def remove_session(self, id_hash: str) -> None: ...

    def remove_sessions(self, user: str) -> int:
        """End every session of ``user``; how many there were."""
        ...

    def add_kiosk(self, kiosk: Kiosk) -> None: ...

    def kiosks(self) -> list[Kiosk]:
        """Every kiosk link, oldest first."""
        ...

    def find_kiosk(self, field: str, value: str) -> Kiosk | None:
        """The kiosk whose ``id``, ``token_hash`` or ``cookie_hash`` is ``value``."""
        ...

    def update_kiosk(self, kiosk_id: str, **fields: Any) -> bool: ...

    def take_kiosk_token(self, token_hash: str, cookie_hash: str) -> Kiosk | None:
        """Atomically swap a kiosk's link for a cookie: the link works once. None when no
        kiosk has that link (any more)."""
        ...

    def add_signin(self, signin: SignIn) -> None: ...

    def take_signin(self, token_hash: str) -> SignIn | None:
        """Remove and return a sign-in link (it works once)."""
        ...

    def add_token(self, token: ApiToken) -> None: ...

    def tokens(self) -> list[ApiToken]:
        """Every API token, oldest first."""
        ...

    def find_token(self, field: str, value: str) -> ApiToken | None:
        """The API token whose ``id`` or ``token_hash`` is ``value``."""
        ...

    def update_token(self, token_id: str, **fields: Any) -> bool: ...

    def add_audit(self, event: AuditEvent) -> None: ...

    def audit(self, limit: int) -> list[AuditEvent]:
        """The latest ``limit`` audit events, newest first."""
        ...

    def close(self) -> None: ...
