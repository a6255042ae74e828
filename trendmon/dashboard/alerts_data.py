"""The admin page's data module: the alert store, read and changed through the library
(:mod:`trendmon.sinks.webhooks.admin`, the dispatcher); nothing else of the dashboard talks to it.

Rows are what may be shown (:func:`~trendmon.alerts.subscriptions.public_view`: no secret, a
masked target); a secret leaves this module once, in the answer to :meth:`AlertsData.add` or
a rotation. Every call opens the store and closes it: the admin page is used rarely, and the
runtimes write the store from other processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trendmon.alerts.records import STATUSES
from trendmon.alerts.subscriptions import public_view
from trendmon.events import utc
from trendmon.settings import AlertSettings
from trendmon.sinks.alerts import AlertStore
from trendmon.sinks.webhooks import admin
from trendmon.sinks.webhooks.delivery import Dispatcher

ACTIONS = ("pause", "resume", "remove", "test", "rotate")


def _iso(ms: int) -> str:
    return utc(ms / 1000).strftime("%Y-%m-%d %H:%M:%S") if ms else ""


class AlertsData:
    """Subscriptions and deliveries for the admin page and the health page's notice."""

    def __init__(self, open_store: Callable[[], AlertStore], settings: AlertSettings) -> None:
        self._open = open_store
        self.settings = settings

    @contextmanager
    def _store(self) -> Iterator[AlertStore]:
        store = self._open()
        try:
            yield store
        finally:
            store.close()

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription as a row (no secret)."""
        with self._store() as store:
            rows = [public_view(s) for s in store.subscriptions()]
        for row in rows:
            for key in ("kinds", "markets", "entities"):
                row[key] = ", ".join(row[key]) or "all"
            row["failing_since"] = _iso(row.pop("failing_since_ms"))
        return rows

    def disabled(self) -> list[dict[str, Any]]:
        """Subscriptions trendmon stopped (410, failing for days), for the health page."""
        return [r for r in self.subscriptions() if r["state"] == "disabled"]

    def deliveries(self, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The latest deliveries, newest first."""
        wanted = status if status in STATUSES else None
        with self._store() as store:
            found = store.deliveries(None, wanted, None, limit)  # type: ignore[arg-type]
        return [
            {
                "id": d.id,
                "subscription": d.sub_id,
                "status": d.status,
                "spikes": len(d.spike_ids),
                "attempts": d.attempts,
                "last_result": d.last_result,
                "queued": _iso(d.created_ms),
                "next_attempt": _iso(d.due_ms) if d.status == "pending" else "",
            }
            for d in found
        ]

    def add(
        self,
        target: str,
        fmt: str,
        *,
        kinds: Sequence[str] = (),
        entities: Sequence[str] = (),
        markets: Sequence[str] = (),
        min_severity: str = "notable",
        cooldown_s: int | None = None,
    ) -> tuple[dict[str, Any], str]:
        """Add a subscription; its row and its secret (to show once)."""
        with self._store() as store:
            sub, secret = admin.add(
                store,
                target,
                fmt=fmt,  # type: ignore[arg-type]  # validated by admin.add
                kinds=kinds,
                entities=entities,
                markets=markets,
                min_severity=min_severity,  # type: ignore[arg-type]
                cooldown_s=cooldown_s,
                settings=self.settings,
            )
        return public_view(sub), secret

    def act(self, action: str, sub_id: str) -> str:
        """Pause, resume, remove, test or rotate a subscription; a sentence saying what
        happened (a rotation's sentence holds the new secret, shown once)."""
        with self._store() as store:
            if action == "pause":
                admin.pause(store, sub_id)
                return f"{sub_id} is paused; its pending deliveries wait."
            if action == "resume":
                admin.resume(store, sub_id)
                return f"{sub_id} is active again."
            if action == "remove":
                admin.remove(store, sub_id)
                return f"{sub_id} is removed."
            if action == "rotate":
                _, secret = admin.update(store, sub_id, rotate_secret=True, settings=self.settings)
                if not secret:
                    return f"{sub_id} is not a webhook: its URL is its secret."
                return (
                    f"New secret of {sub_id} (shown once; the old one stays valid for a day): "
                    f"{secret}"
                )
            if action == "test":
                dispatcher = Dispatcher(store, self.settings)
                try:
                    attempt = dispatcher.test(sub_id)
                finally:
                    dispatcher.close()
                answer = f"HTTP {attempt.status}" if attempt.status else attempt.error
                return f"Test alert to {sub_id}: {attempt.outcome} ({answer})."
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")

    def redeliver(self, delivery_id: str) -> str:
        """Queue one delivery again now (the runtime sends it)."""
        with self._store() as store:
            dispatcher = Dispatcher(store, self.settings)
            try:
                dispatcher.redeliver(delivery_id)
            finally:
                dispatcher.close()
        return f"{delivery_id} is queued again, under the same id."

    def recover(self, since_ms: int) -> str:
        """Queue again every delivery since ``since_ms`` that did not get through."""
        with self._store() as store:
            dispatcher = Dispatcher(store, self.settings)
            try:
                queued = dispatcher.recover(since_ms)
            finally:
                dispatcher.close()
        return f"{len(queued)} deliveries queued again."


def open_alerts_data(home: Path | None = None) -> AlertsData:
    """The alert store of the runtime the dashboard shows: SQLite under ``home`` (embedded) or
    MongoDB (``TRENDMON_BUS=kafka``)."""
    from trendmon.settings import CoreSettings, load
    from trendmon.sinks.factory import open_alerts

    core = load(CoreSettings, home=home)
    if core.bus == "embedded":
        return AlertsData(lambda: open_alerts("sqlite", home=core.home), load(AlertSettings))
    return AlertsData(lambda: open_alerts("mongo"), load(AlertSettings))
