"""API tokens for the read-only JSON API (``/api/v1/``): ``Authorization: Bearer tm_...``.

``trendmon tokens create NAME --role analyst`` prints a token once (``tm_`` and 256 random bits);
the store keeps its hash, a role, an expiry and a last-used time. A token opens the API only,
never a page or a callback, and needs no CSRF token (it is never sent by a browser on its own).
"""

from __future__ import annotations

from typing import Final

from trendmon.accounts.roles import parse_role
from trendmon.accounts.store import AccountStore, ApiToken
from trendmon.accounts.tokens import digest, new_token
from trendmon.errors import UnknownAccountError

PREFIX: Final = "tm_"


def create(
    store: AccountStore, name: str, role: str, now_ms: int, ttl_ms: int
) -> tuple[ApiToken, str]:
    """A new API token and its secret (shown once)."""
    secret = PREFIX + new_token()
    token = ApiToken(
        new_token()[:12], name[:80], parse_role(role).name, digest(secret), now_ms, now_ms + ttl_ms
    )
    store.add_token(token)
    return token, secret


def resolve(store: AccountStore, secret: str, now_ms: int) -> ApiToken | None:
    """The live token of a secret, or None (unknown, revoked, expired, malformed)."""
    if not secret.startswith(PREFIX) or len(secret) > 128:
        return None
    token = store.find_token("token_hash", digest(secret))
    if token is None or token.revoked or token.expires_ms < now_ms:
        return None
    if token.last_used_ms is None or now_ms - token.last_used_ms > 30_000:
        store.update_token(token.id, last_used_ms=now_ms)
    return token


def revoke(store: AccountStore, token_id: str) -> ApiToken:
    token = store.find_token("id", token_id)
    if token is None:
        raise UnknownAccountError(f"no API token with id {token_id[:40]!r} (trendmon tokens list)")
    store.update_token(token.id, revoked=True)
    return token
