"""The audit log: sign-ins (and failed ones), sign-outs, link exchanges and every change an
admin makes to accounts, kiosk links and API tokens; who, what, when, from where.

Never a password, a token or a session id: ``target`` names the account, kiosk or token id.
``trendmon audit`` prints it, newest first.
"""

from __future__ import annotations

import time

from trendmon.accounts.store import AccountStore, AuditEvent


def record(store: AccountStore, who: str, action: str, target: str = "", source: str = "") -> None:
    """Append one event (``action``: ``login``, ``login-failed``, ``users.add``, …)."""
    store.add_audit(
        AuditEvent(int(time.time() * 1000), who[:80], action[:40], target[:120], source[:80])
    )
