"""The dispatcher: spikes in, deliveries queued, attempts made, outcomes recorded.

**Queueing** (:meth:`Dispatcher.offer`, called with the engine's spikes). For each spike and
each active subscription it matches:

1. a spike this subscription already has (a replay after a crash, a second worker) is skipped;
2. the per-entity cooldown: a spike of an entity alerted less than ``cooldown_s`` before it
   (event time, so it holds across restarts and replays) is skipped;
3. grouping: the spike joins the subscription's open delivery if there is one; else a new
   delivery is queued, due now, or, if the subscription's last delivery was queued less than
   ``group_window_s`` ago, due at the end of that window. A lone spike goes out at once, and
   twenty in a minute go out as two or three messages.

**Attempts** (:meth:`Dispatcher.run_due`). Due deliveries are claimed (sealed, leased), sent
in parallel through :class:`~trendmon.sinks.webhooks.transport.SafeTransport`, and judged:

=========================  =================================================================
answer                     outcome
=========================  =================================================================
2xx                        ``delivered``
410 Gone                   ``gone``; the subscription is disabled (it said so)
429 or 503 + Retry-After   retried after Retry-After (at most ``max_retry_after_s``)
other status, 3xx too      retried on the schedule; ``failed`` when it runs out
no answer (refused,        the same as a bad status
timeout, DNS)
refused by the SSRF rules  the same: the name may resolve elsewhere later, and the log says why
=========================  =================================================================

A subscription whose deliveries have failed without a success for ``disable_after_s`` is
disabled, with the reason (shown by ``trendmon alerts list`` and on the health page).

Times come from ``clock`` (epoch seconds; tests inject one to run hours of schedule in
milliseconds). The ``webhook-timestamp`` header is always the real wall clock: it is what
receivers check against theirs.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import msgspec

from trendmon.alerts import formats, signing
from trendmon.alerts.records import Attempt, Delivery, Outcome, delivery_id
from trendmon.alerts.schedule import Schedule
from trendmon.alerts.subscriptions import Subscription, matches, signing_secrets
from trendmon.errors import DeliveryError, UnknownAlertError, UnsafeTargetError
from trendmon.events import Spike
from trendmon.settings import AlertSettings
from trendmon.sinks.alerts import AlertStore
from trendmon.sinks.webhooks.transport import Answer, SafeTransport

log = logging.getLogger(__name__)

PAUSED_RECHECK_MS = 60_000
"""A paused subscription's due deliveries are looked at again after this long."""


def parse_retry_after(value: str | None, now_s: float) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now_s)


class Dispatcher:
    """Queues spikes for subscriptions and delivers them (see the module docstring)."""

    def __init__(
        self,
        store: AlertStore,
        settings: AlertSettings | None = None,
        *,
        transport: SafeTransport | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.settings = s = settings or AlertSettings()
        self.schedule = Schedule.parse(s.schedule, s.jitter)
        self.transport = transport or SafeTransport(
            timeout_s=s.timeout_s,
            max_response_bytes=s.max_response_bytes,
            allow_networks=s.allow_networks,
            allow_http=s.allow_http,
        )
        self.clock = clock
        self.rng = rng or random.Random()
        self._pool = ThreadPoolExecutor(s.concurrency, thread_name_prefix="alerts")
        self._subs: list[Subscription] = []
        self._subs_read = -1.0

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- queueing -----------------------------------------------------------------------------

    def _active(self) -> list[Subscription]:
        # Read again at most every second: `trendmon alerts` may change them from elsewhere.
        now = time.monotonic()
        if now - self._subs_read > 1.0:
            self._subs = [s for s in self.store.subscriptions() if s.enabled and not s.disabled]
            self._subs_read = now
        return self._subs

    def refresh(self) -> None:
        """Read the subscriptions again at the next offer."""
        self._subs_read = -1.0

    def offer(self, spikes: Iterable[Spike]) -> int:
        """Queue ``spikes`` for the subscriptions they match; return how many were queued."""
        spikes = list(spikes)
        if not spikes:
            return 0
        queued = 0
        # One transaction for the batch (one fsync on SQLite, not one per spike).
        with self.store.transaction():
            for sub in self._active():
                for spike in spikes:
                    if matches(sub, spike) and self._place(sub, spike):
                        queued += 1
        return queued

    def _place(self, sub: Subscription, spike: Spike) -> bool:
        store = self.store
        with store.transaction():
            if store.has_spike(sub.id, spike.spike_id):
                return False
            if not store.pass_cooldown(
                sub.id, spike.entity, spike.spike_id, spike.detected_ms, sub.cooldown_s * 1000
            ):
                return False
            if store.append_open(sub.id, spike):
                return True
            now = self.now_ms()
            last = store.last_created_ms(sub.id)
            window = int(self.settings.group_window_s * 1000)
            due = now if last is None or last + window <= now else last + window
            created = store.create_delivery(
                Delivery(
                    id=delivery_id(sub.id, spike.spike_id),
                    sub_id=sub.id,
                    spike_ids=[spike.spike_id],
                    spikes=[spike],
                    created_ms=now,
                    due_ms=due,
                )
            )
            # Another writer queued the same first spike meanwhile: it is there, once.
            return created or store.append_open(sub.id, spike)

    # -- attempts -----------------------------------------------------------------------------

    def run_due(self, limit: int | None = None) -> int:
        """Attempt every delivery due now (up to ``limit``); return how many attempts."""
        done = 0
        # Longer than any attempt takes; a dispatcher killed mid-attempt holds it no longer.
        lease = int((self.settings.timeout_s * 2 + 5) * 1000)
        while limit is None or done < limit:
            batch: list[Delivery] = []
            while len(batch) < self.settings.concurrency:
                d = self.store.claim(self.now_ms(), lease)
                if d is None:
                    break
                batch.append(d)
            if not batch:
                break
            for d, result in zip(batch, self._pool.map(self._attempt, batch), strict=True):
                self._record(d, *result)
                done += 1
        return done

    def next_due_s(self) -> float | None:
        """Seconds until the next delivery is due (0 if overdue), None if there is none."""
        due = self.store.next_due_ms()
        return None if due is None else max(0.0, due / 1000 - self.clock())

    def _attempt(self, d: Delivery) -> tuple[Subscription | None, Answer | None, str]:
        """Send one delivery (a thread of the pool); returns the subscription, the answer,
        and the error when there is no answer. Only reads the store (its subscription)."""
        try:
            sub = self.store.subscription(d.sub_id)
        except UnknownAlertError:
            return None, None, "its subscription was removed"
        if sub.disabled or not sub.enabled:
            return sub, None, ""
        now_ms = self.now_ms()
        if not d.body:
            # Rendered from the delivery alone (its queue time, not now): a body lost in a
            # crash before it was saved comes out byte for byte the same again.
            rendered = formats.render(
                sub, d.spikes, d.id, d.created_ms, self.settings.dashboard_url
            )
            d.body = rendered.body.decode()
        url = formats.with_wait(sub.target) if sub.format == "discord" else sub.target
        body = d.body.encode()
        headers: dict[str, str] = {}
        if sub.format == "webhook":
            headers = signing.headers(signing_secrets(sub, now_ms), d.id, int(time.time()), body)
        try:
            return sub, self.transport.post(url, body, headers), ""
        except (DeliveryError, UnsafeTargetError) as exc:
            return sub, None, str(exc)

    def _record(
        self, d: Delivery, sub: Subscription | None, answer: Answer | None, error: str
    ) -> None:
        now_ms = self.now_ms()
        d.lease_ms = 0
        if sub is None or sub.disabled:
            d.status = "cancelled"
            d.last_result = error or f"subscription disabled: {sub.disabled if sub else ''}"
            self.store.finish(d, None)
            return
        if not sub.enabled:
            d.due_ms = now_ms + PAUSED_RECHECK_MS
            self.store.finish(d, None)
            return
        d.attempts += 1
        outcome: Outcome
        status = answer.status if answer is not None else 0
        if answer is not None and 200 <= status < 300:
            outcome = "delivered"
            d.status, d.done_ms, d.last_result = "delivered", now_ms, f"{status}"
        elif status == 410:
            outcome = "gone"
            d.status, d.done_ms, d.last_result = "gone", now_ms, "410 Gone"
        else:
            d.tries += 1
            wait = self.schedule.wait_after(d.tries, self.rng)
            retry_after = (
                parse_retry_after(answer.retry_after, now_ms / 1000)
                if answer is not None and status in (429, 503)
                else None
            )
            if retry_after is not None and wait is not None:
                wait = min(retry_after, self.settings.max_retry_after_s)
            d.last_result = error or f"{status}"
            if wait is None:
                outcome = "failed"
                d.status, d.done_ms = "failed", now_ms
            else:
                outcome = "retry"
                d.due_ms = now_ms + int(wait * 1000)
        attempt = Attempt(
            delivery_id=d.id,
            sub_id=d.sub_id,
            n=d.attempts,
            at_ms=now_ms,
            outcome=outcome if not error.startswith("refused") else "refused",
            status=status,
            error=error,
            latency_ms=int(answer.latency_s * 1000) if answer is not None else 0,
            excerpt=answer.excerpt if answer is not None else "",
        )
        self.store.finish(d, attempt)
        self._update_subscription(sub, outcome, now_ms)
        log.info("alert %s to %s: %s (%s)", d.id, sub.id, outcome, d.last_result)

    def _update_subscription(self, sub: Subscription, outcome: Outcome, now_ms: int) -> None:
        fresh = self.store.subscription(sub.id)
        changed = fresh
        if outcome == "delivered" and fresh.failing_since_ms:
            changed = msgspec.structs.replace(fresh, failing_since_ms=0)
        elif outcome == "gone":
            changed = msgspec.structs.replace(
                fresh, disabled=f"the receiver answered 410 Gone at {_iso(now_ms)}"
            )
        elif outcome != "delivered":
            since = fresh.failing_since_ms or now_ms
            changed = msgspec.structs.replace(fresh, failing_since_ms=since)
            if now_ms - since >= self.settings.disable_after_s * 1000:
                changed = msgspec.structs.replace(
                    changed,
                    disabled=f"every delivery failed from {_iso(since)} to {_iso(now_ms)}",
                )
        if changed != fresh:
            self.store.save_subscription(changed)
            self.refresh()

    # -- by hand ------------------------------------------------------------------------------

    def redeliver(self, delivery_id_: str) -> Delivery:
        """Queue one delivery again, now, with a fresh schedule and the same id and body."""
        d = self.store.delivery(delivery_id_)
        d.status, d.due_ms, d.tries, d.lease_ms, d.done_ms = "pending", self.now_ms(), 0, 0, 0
        self.store.finish(d, None)
        return d

    def recover(self, since_ms: int, sub_id: str | None = None) -> list[Delivery]:
        """Redeliver every delivery queued since ``since_ms`` that did not get through."""
        out: list[Delivery] = []
        for status in ("failed", "gone", "cancelled"):
            for d in self.store.deliveries(sub_id, status, since_ms, limit=1_000_000):
                out.append(self.redeliver(d.id))
        return out

    def test(self, sub_id: str) -> Attempt:
        """Send one test message to a subscription now (signed like the real ones) and log it;
        it is not retried."""
        sub = self.store.subscription(sub_id)
        now_ms = self.now_ms()
        msg_id = f"msg_test_{now_ms}"
        rendered = formats.render(
            sub, [sample_spike(now_ms)], msg_id, now_ms, self.settings.dashboard_url, test=True
        )
        headers = {}
        if sub.format == "webhook":
            headers = signing.headers(
                signing_secrets(sub, now_ms), msg_id, int(time.time()), rendered.body
            )
        error, answer = "", None
        try:
            answer = self.transport.post(rendered.url, rendered.body, headers)
        except (DeliveryError, UnsafeTargetError) as exc:
            error = str(exc)
        status = answer.status if answer is not None else 0
        attempt = Attempt(
            delivery_id=msg_id,
            sub_id=sub_id,
            n=1,
            at_ms=now_ms,
            outcome="delivered"
            if 200 <= status < 300
            else ("refused" if error.startswith("refused") else "failed"),
            status=status,
            error=error,
            latency_ms=int(answer.latency_s * 1000) if answer is not None else 0,
            excerpt=answer.excerpt if answer is not None else "",
        )
        record = Delivery(
            id=msg_id,
            sub_id=sub_id,
            status="delivered" if attempt.outcome == "delivered" else "failed",
            sealed=True,
            created_ms=now_ms,
            attempts=1,
            done_ms=now_ms,
            body=rendered.body.decode(),
            last_result=error or str(status),
        )
        self.store.create_delivery(record)
        self.store.finish(record, attempt)
        return attempt

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.transport.close()


def sample_spike(now_ms: int) -> Spike:
    """The spike a test message carries."""
    return Spike(
        spike_id="test",
        entity="hashtag:trendmontest",
        kind="hashtag",
        name="trendmontest",
        market="all",
        bucket_ms=now_ms,
        detected_ms=now_ms,
        value=12_000.0,
        baseline=1_500.0,
        mad=0.0,
        z=8.0,
        severity="notable",
        videos=14,
        window_s=2700,
        summary="a test alert from trendmon: 14 new videos from 12 creators in 45 min",
    )


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
