"""The dispatcher in a thread beside a runtime: spikes handed over, due deliveries sent.

``trendmon run`` hands the engine's spikes to :meth:`AlertService.offer` from its loop (they
are queued durably before the loop checkpoints, and queueing the same spike twice is harmless,
so a crash loses none and doubles none). The service's thread sends what is due, sleeping until
the next due time, a new offer, or ``poll_s`` (another process may have queued or redelivered
something), whichever comes first. The distributed worker uses the same class with the MongoDB
store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from trendmon.events import Spike
from trendmon.settings import AlertSettings, load
from trendmon.sinks.factory import open_alerts
from trendmon.sinks.webhooks.delivery import Dispatcher

log = logging.getLogger(__name__)


class AlertService:
    """Runs ``dispatcher.run_due`` in a daemon thread until :meth:`close`."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="alerts", daemon=True)
        self.errors = 0

    def start(self) -> AlertService:
        self._thread.start()
        return self

    def offer(self, spikes: Iterable[Spike]) -> int:
        """Queue spikes (durably, in the caller's thread) and wake the sender."""
        queued = self.dispatcher.offer(spikes)
        if queued:
            self._wake.set()
        return queued

    def _loop(self) -> None:
        poll = self.dispatcher.settings.poll_s
        while not self._stop.is_set():
            try:
                self.dispatcher.run_due()
                due = self.dispatcher.next_due_s()
            except Exception:
                # A store that is away (MongoDB restarting): the deliveries wait in it.
                self.errors += 1
                log.exception("alert delivery failed; trying again in %s s", poll)
                due = poll
            wait = poll if due is None else min(poll, max(due, 0.005))
            self._wake.wait(wait)
            self._wake.clear()

    def close(self) -> None:
        """Stop the thread, send what is due now once more (what ``trendmon run --once`` just
        queued), and close. Whatever is not due stays queued for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * self.dispatcher.settings.timeout_s + 5)
        try:
            self.dispatcher.run_due()
        except Exception:
            log.exception("could not send the due alerts before stopping; they stay queued")
        self.dispatcher.close()


def start_alerts(home: Path) -> AlertService | None:
    """The embedded runtime's alert service over ``home/alerts.sqlite3``, started; None when
    ``TRENDMON_ALERTS_ENABLED`` is false."""
    settings = load(AlertSettings)
    if not settings.enabled:
        return None
    return AlertService(Dispatcher(open_alerts("sqlite", home=home), settings)).start()
