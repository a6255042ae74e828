"""What the alert stores keep besides subscriptions: deliveries and their attempts.

A **delivery** is one message to one subscription, listing one or more spikes. Its ``id`` is
the ``webhook-id`` of every attempt, so a receiver that sees it twice knows it is a retry. It
is *open* (``sealed`` false) until its first attempt starts: spikes of the same subscription
that arrive meanwhile join it (the grouping window). Its body is fixed when it is sealed, so
every retry sends the same bytes.

Statuses: ``pending`` (waiting for its ``due_ms``), ``delivered`` (a 2xx), ``failed`` (its
schedule ran out, or the receiver refused it for good), ``gone`` (the receiver answered 410:
the subscription is disabled), ``cancelled`` (its subscription was removed or disabled
before it could go). ``failed``, ``gone`` and ``cancelled`` can be sent again by hand
(``trendmon alerts redeliver ID``, ``recover --since T``).
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import msgspec

from trendmon.events import Spike

Status = Literal["pending", "delivered", "failed", "gone", "cancelled"]
STATUSES = ("pending", "delivered", "failed", "gone", "cancelled")
Outcome = Literal["delivered", "retry", "failed", "gone", "refused"]


class Delivery(msgspec.Struct, kw_only=True):
    """One message to one subscription (see the module docstring)."""

    id: str
    sub_id: str
    status: Status = "pending"
    sealed: bool = False
    spike_ids: list[str] = msgspec.field(default_factory=list)
    spikes: list[Spike] = msgspec.field(default_factory=list)
    created_ms: int = 0
    """Wall-clock time it was queued (its first spike left the engine then)."""
    due_ms: int = 0
    lease_ms: int = 0
    """A dispatcher holds it until then (another one skips it); a dead one's lease lapses."""
    tries: int = 0
    """Failed attempts in its current schedule (a manual redeliver starts a new one)."""
    attempts: int = 0
    """Attempts made in all."""
    body: str = ""
    last_result: str = ""
    done_ms: int = 0


class Attempt(msgspec.Struct, kw_only=True):
    """One attempt of a delivery, as the delivery log shows it."""

    delivery_id: str
    sub_id: str
    n: int
    at_ms: int
    outcome: Outcome
    status: int = 0
    """HTTP status of the answer; 0 when there was none."""
    error: str = ""
    latency_ms: int = 0
    excerpt: str = ""
    """The start of the receiver's answer (up to TRENDMON_ALERTS_MAX_RESPONSE_BYTES)."""


def delivery_id(sub_id: str, spike_id: str) -> str:
    """The delivery's id: a function of its subscription and first spike, so that the same
    spike offered again (a replay after a crash, another worker) names the same delivery."""
    digest = hashlib.sha256(f"{sub_id}|{spike_id}".encode()).hexdigest()[:26]
    return f"msg_{digest}"


def to_doc(obj: msgspec.Struct) -> dict[str, Any]:
    doc: dict[str, Any] = msgspec.to_builtins(obj)
    return doc
