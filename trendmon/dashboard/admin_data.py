"""What the admin page reads and changes: accounts, kiosk links, API tokens, the audit log.

Each change calls the same library function as ``trendmon users|kiosk|tokens`` and is written
to the audit log with the signed-in admin and the address it came from. Rows never carry a
password hash, a token or a token's hash; a new kiosk link or API token is returned once, for
the page to show once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Final

from trendmon.accounts import apitokens, audit, kiosks, users
from trendmon.accounts.store import AccountStore
from trendmon.errors import AccountError

USER_ACTIONS: Final = ("role", "disable", "enable", "sign-out", "remove")
DAY_MS: Final = 86_400_000


def _now_ms() -> int:
    return int(time.time() * 1000)


def iso(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _days(text: str | None, default: float, most: float) -> int:
    """Milliseconds of ``text`` days, or AccountError naming the field and the range."""
    try:
        days = float(text) if text not in (None, "") else default
    except ValueError:
        raise AccountError(f"days: {str(text)[:20]!r} is not a number; give e.g. 30") from None
    if not 0.01 <= days <= most:
        raise AccountError(f"days: {days:g} is outside 0.01 to {most:g}")
    return int(days * DAY_MS)


class AdminData:
    """The admin page's view of the account store, with who is acting and from where."""

    def __init__(self, store: AccountStore) -> None:
        self.store = store

    def _audit(self, who: str, source: str, action: str, target: str) -> None:
        audit.record(self.store, who, action, target, source)

    # -- reading ------------------------------------------------------------------------------

    def users(self) -> list[dict[str, Any]]:
        return [
            {"name": u.name, "role": u.role, "state": "disabled" if u.disabled else "active",
             "password": "set" if u.password_hash else "none (sign-in links only)",
             "created": iso(u.created_ms)}
            for u in self.store.users()
        ]  # fmt: skip

    def kiosks(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        now = now_ms or _now_ms()
        return [
            {"id": k.id, "name": k.name, "market": k.market or "any", "boards": k.boards or "all",
             "created": iso(k.created_ms), "expires": iso(k.expires_ms),
             "last_used": iso(k.last_used_ms),
             "state": "revoked" if k.revoked else ("expired" if k.expires_ms < now else "active")}
            for k in self.store.kiosks()
        ]  # fmt: skip

    def tokens(self, now_ms: int | None = None) -> list[dict[str, Any]]:
        now = now_ms or _now_ms()
        return [
            {"id": t.id, "name": t.name, "role": t.role, "created": iso(t.created_ms),
             "expires": iso(t.expires_ms), "last_used": iso(t.last_used_ms),
             "state": "revoked" if t.revoked else ("expired" if t.expires_ms < now else "active")}
            for t in self.store.tokens()
        ]  # fmt: skip

    def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        return [
            {"at": iso(e.at_ms), "who": e.who, "action": e.action, "target": e.target,
             "source": e.source}
            for e in self.store.audit(limit)
        ]  # fmt: skip

    # -- changing -----------------------------------------------------------------------------

    def add_user(self, who: str, source: str, name: str, role: str, password: str) -> str:
        user = users.add(self.store, name, role, password, _now_ms())
        self._audit(who, source, "users.add", user.name)
        return f"Added {user.name} ({user.role})."

    def act_on_user(self, who: str, source: str, action: str, name: str, role: str) -> str:
        """One of :data:`USER_ACTIONS` on account ``name``; what was done, in a sentence."""
        name = users.check_name(name)
        if name == who and action in ("role", "disable", "remove"):
            raise AccountError(
                "you cannot change your own role, disable or remove yourself here; another "
                "admin (or `trendmon users`) can"
            )
        if action == "role":
            ended = users.set_role(self.store, name, role)
            done = f"{name} is now {role}"
        elif action in ("disable", "enable"):
            ended = users.set_disabled(self.store, name, action == "disable")
            done = f"{name} {action}d"
        elif action == "sign-out":
            users.get(self.store, name)  # raises for an unknown account
            ended = self.store.remove_sessions(name)
            done = f"{name} signed out"
        elif action == "remove":
            ended = users.remove(self.store, name)
            done = f"{name} removed"
        else:
            raise AccountError(f"{action!r} is not one of {', '.join(USER_ACTIONS)}")
        self._audit(who, source, f"users.{action}", name)
        return f"{done}; {ended} session(s) ended."

    def create_kiosk(
        self,
        who: str,
        source: str,
        name: str,
        days: str | None,
        base_url: str,
        market: str = "",
        boards: str = "",
    ) -> tuple[str, str]:
        """A new kiosk's id and its link (shown once), limited to a market and boards."""
        if not (name or "").strip():
            raise AccountError("name: say what the display is (office TV)")
        kiosk, token = kiosks.create(
            self.store, name.strip(), _now_ms(), _days(days, 30, 366), market, boards.split(",")
        )
        self._audit(who, source, "kiosk.create", kiosk.id)
        return kiosk.id, f"{base_url.rstrip('/')}/kiosk/{token}"

    def revoke_kiosk(self, who: str, source: str, kiosk_id: str) -> str:
        kiosk = kiosks.revoke(self.store, kiosk_id.strip())
        self._audit(who, source, "kiosk.revoke", kiosk.id)
        return f"Kiosk link {kiosk.id} ({kiosk.name}) revoked; its display stops within seconds."

    def create_token(
        self, who: str, source: str, name: str, role: str, days: str | None
    ) -> tuple[str, str]:
        """A new API token's id and its secret (shown once)."""
        if not (name or "").strip():
            raise AccountError("name: say what uses the token (BI export)")
        token, secret = apitokens.create(
            self.store, name.strip(), role, _now_ms(), _days(days, 365, 3660)
        )
        self._audit(who, source, "tokens.create", token.id)
        return token.id, secret

    def revoke_token(self, who: str, source: str, token_id: str) -> str:
        token = apitokens.revoke(self.store, token_id.strip())
        self._audit(who, source, "tokens.revoke", token.id)
        return f"API token {token.id} ({token.name}) revoked."
