"""The alert store: subscriptions, deliveries (durable, with their schedule), the delivery log
and the per-entity cooldowns, behind one interface.

Two implementations, one test suite (``tests/sinks/test_alerts_store.py``), opened by
:func:`trendmon.sinks.factory.open_alerts`:

- :class:`~trendmon.sinks.sqlite.alerts.SqliteAlerts` (embedded): ``TRENDMON_HOME/alerts.sqlite3``;
- :class:`~trendmon.sinks.mongo.alerts.MongoAlerts` (distributed): collections ``alert_*`` in
  the history's database.

Every primitive is atomic on its own and idempotent where it can be run twice (a replay after a
crash offers the same spikes again). :mod:`trendmon.sinks.webhooks.delivery` composes them; on
SQLite it also wraps a spike's whole placement in :meth:`AlertStore.transaction`. """

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

import msgspec

from trendmon.accounts.sealing import Sealer
from trendmon.alerts.records import Attempt, Delivery, Status
from trendmon.alerts.subscriptions import Subscription
from trendmon.events import Spike

SEALED_FIELDS = ("target", "secret", "old_secret")
"""What a stored subscription keeps sealed: its signing secrets, and its target (a Slack or
Discord URL is its own credential; a webhook URL may carry a token in its query)."""


def seal_subscription(sub: Subscription, sealer: Sealer) -> Subscription:
    """``sub`` as stored: :data:`SEALED_FIELDS` sealed."""
    return msgspec.structs.replace(
        sub, **{f: sealer.seal(getattr(sub, f)) for f in SEALED_FIELDS}
    )


def open_subscription(sub: Subscription, sealer: Sealer) -> Subscription:
    """A stored subscription with :data:`SEALED_FIELDS` opened."""
    return msgspec.structs.replace(
        sub, **{f: sealer.open(getattr(sub, f)) for f in SEALED_FIELDS}
    )


def reseal_subscription(sub: Subscription, sealer: Sealer) -> Subscription:
    """A stored subscription with :data:`SEALED_FIELDS` sealed anew with the first key."""
    return msgspec.structs.replace(
        sub, **{f: sealer.reseal(getattr(sub, f)) for f in SEALED_FIELDS}
    )


class AlertStore(Protocol):
    """What the dispatcher, the command line and the admin page use."""

    # -- subscriptions ------------------------------------------------------------------------
    def add_subscription(self, sub: Subscription) -> None:
        """Store a new subscription (its id must be new)."""
        ...

    def subscription(self, sub_id: str) -> Subscription:
        """One subscription; UnknownAlertError if there is none with this id."""
        ...

    def subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        ...

    def save_subscription(self, sub: Subscription) -> None:
        """Replace a stored subscription (UnknownAlertError if it is not there)."""
        ...

    def remove_subscription(self, sub_id: str) -> None:
        """Delete a subscription and its cooldowns (its log stays); UnknownAlertError if none."""
        ...

    def reseal(self) -> int:
        """Seal every subscription's secrets anew with the first key; how many were."""
        ...

    # -- queueing -----------------------------------------------------------------------------
    def transaction(self) -> AbstractContextManager[None]:
        """Everything inside commits together where the backend can (SQLite); else a no-op."""
        ...

    def has_spike(self, sub_id: str, spike_id: str) -> bool:
        """Whether a delivery of this subscription already lists this spike."""
        ...

    def pass_cooldown(
        self, sub_id: str, entity: str, spike_id: str, detected_ms: int, cooldown_ms: int
    ) -> bool:
        """Record the spike as the entity's last alert and return True, unless the last alert
        of this entity for this subscription was less than ``cooldown_ms`` before it (event
        time). The same spike passes again (idempotent)."""
        ...

    def append_open(self, sub_id: str, spike: Spike) -> bool:
        """Add the spike to the subscription's open (unsealed, pending) delivery, if any."""
        ...

    def last_created_ms(self, sub_id: str) -> int | None:
        """When the subscription's latest delivery was queued."""
        ...

    def create_delivery(self, delivery: Delivery) -> bool:
        """Store a new delivery; False if one with its id is already there."""
        ...

    # -- dispatching --------------------------------------------------------------------------
    def claim(self, now_ms: int, lease_ms: int) -> Delivery | None:
        """Take the most overdue pending delivery nobody holds: seal it and hold it until
        ``now_ms + lease_ms``. Two dispatchers never get the same one while the lease runs."""
        ...

    def finish(self, delivery: Delivery, attempt: Attempt | None) -> None:
        """Save a delivery after an attempt (status, due, tries, body; the lease is released)
        and append the attempt to the log."""
        ...

    def next_due_ms(self) -> int | None:
        """The due time of the next pending delivery."""
        ...

    # -- the log ------------------------------------------------------------------------------
    def delivery(self, delivery_id: str) -> Delivery:
        """One delivery; UnknownAlertError if there is none with this id."""
        ...

    def deliveries(
        self,
        sub_id: str | None = None,
        status: Status | None = None,
        since_ms: int | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """Deliveries, newest first."""
        ...

    def attempts(
        self, delivery_id: str | None = None, sub_id: str | None = None, limit: int = 100
    ) -> list[Attempt]:
        """The delivery log, newest first."""
        ...

    def close(self) -> None: ...
