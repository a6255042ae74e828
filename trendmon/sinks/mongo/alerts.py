"""The distributed alert store: collections ``alert_*`` in MongoDB (or FerretDB v1).

- ``alert_subscriptions``: ``_id`` = subscription id, the subscription's fields;
- ``alert_placements``: ``_id`` = ``subscription|spike``, the spike and the delivery it was
  placed in: one per subscription and spike, whoever offers it and however often;
- ``alert_deliveries``: ``_id`` = delivery id (the ``webhook-id``); its ``spike_ids`` and
  ``spikes`` are written when it is sealed, from its placements;
- ``alert_claims``: ``_id`` = ``delivery|due|lease|period``, one per attempt slot and lease
  period: the claim lock;
- ``alert_attempts``: ``_id`` = ``delivery|n``, the log;
- ``alert_cooldowns``: ``_id`` = ``subscription|entity``, the event time of the last alert.

**Why inserts.** FerretDB v1 runs an update as read, change, write, without a lock: measured here,
8 threads of 50 ``$inc`` each left 96, and a compare-and-set ``update_one`` let two writers win the
same value. The one thing it keeps atomic is a unique ``_id`` (PostgreSQL's primary key). So every
step that must happen once is an insert: a spike's placement, a delivery's creation, and each claim
(the ``_id`` names the state the claimer saw, so two workers that saw the same state in the same
lease period race for the same ``_id`` and one loses; once the winner's lease lapses, the state,
and so the ``_id``, is new; a claimer that died before it wrote its lease holds the delivery until
the period ends). Two claimers either side of a period's end could both win: the delivery then goes
twice, under its one id. Updates are only made by the holder of a claim. A spike placed in a
delivery at the moment it is sealed is found when the delivery is claimed or finished (a placement
its ``spike_ids`` lacks) and moved to a new delivery, so it is neither lost nor sent under two ids.

The per-entity cooldown is a read then a write: two workers could both pass it for the same
entity at the same instant, which costs one extra alert, never a duplicate of a spike (spikes
of an entity come from the one stage-2 partition that owns it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import msgspec
from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.collection import Collection
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from trendmon.accounts.sealing import Sealer
from trendmon.alerts.records import Attempt, Delivery, Status, to_doc
from trendmon.alerts.records import delivery_id as id_of_delivery
from trendmon.alerts.subscriptions import Subscription
from trendmon.errors import ServiceUnavailableError, UnknownAlertError
from trendmon.events import Spike
from trendmon.settings import MongoSettings
from trendmon.sinks.alerts import open_subscription, reseal_subscription, seal_subscription
from trendmon.sinks.mongo.client import connect
from trendmon.sinks.mongo.history import redact

log = logging.getLogger(__name__)

Doc = dict[str, Any]
T = TypeVar("T")


def _struct(doc: Doc, cls: type[T]) -> T:
    doc = {k: v for k, v in doc.items() if k != "_id"}
    return msgspec.convert(doc, cls)


class MongoAlerts:
    """The alert store in database ``settings.database``."""

    def __init__(
        self,
        settings: MongoSettings | None = None,
        *,
        sealer: Sealer,
        database: str | None = None,
    ):
        self.settings = settings or MongoSettings()
        self.sealer = sealer
        self._uri = self.settings.uri.get_secret_value()
        self._client: MongoClient[Doc] = connect(self.settings, "alerts")
        db = self._client[database or self.settings.database]
        self._subs: Collection[Doc] = db["alert_subscriptions"]
        self._deliveries: Collection[Doc] = db["alert_deliveries"]
        self._attempts: Collection[Doc] = db["alert_attempts"]
        self._cooldowns: Collection[Doc] = db["alert_cooldowns"]
        self._placements: Collection[Doc] = db["alert_placements"]
        self._claims: Collection[Doc] = db["alert_claims"]
        try:
            self._call(self._setup)
        except BaseException:
            self._client.close()
            raise

    def _setup(self) -> None:
        self._deliveries.create_index([("status", ASCENDING), ("due_ms", ASCENDING)])
        self._deliveries.create_index([("sub_id", ASCENDING), ("created_ms", DESCENDING)])
        self._attempts.create_index([("sub_id", ASCENDING), ("at_ms", DESCENDING)])
        self._placements.create_index([("delivery_id", ASCENDING)])

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except ConnectionFailure as exc:
            raise ServiceUnavailableError(
                f"MongoDB at {redact(self._uri)} did not answer ({type(exc).__name__}: "
                f"{exc!s:.200}); start it or set TRENDMON_MONGO_URI to a server that runs",
                "the alert store (MongoDB)",
            ) from exc

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield  # each primitive is atomic on its own (see the module docstring)

    # -- subscriptions ------------------------------------------------------------------------

    def _stored(self, sub: Subscription) -> Doc:
        return {"_id": sub.id, **to_doc(seal_subscription(sub, self.sealer))}

    def _opened(self, doc: Doc) -> Subscription:
        return open_subscription(_struct(doc, Subscription), self.sealer)

    def add_subscription(self, sub: Subscription) -> None:
        self._call(self._subs.insert_one, self._stored(sub))

    def subscription(self, sub_id: str) -> Subscription:
        doc = self._call(self._subs.find_one, {"_id": sub_id})
        if doc is None:
            raise UnknownAlertError(
                f"no subscription {sub_id!r}; `trendmon alerts list` shows their ids"
            )
        return self._opened(doc)

    def subscriptions(self) -> list[Subscription]:
        docs = self._call(lambda: list(self._subs.find({})))
        subs = [self._opened(d) for d in docs]
        return sorted(subs, key=lambda s: (s.created_ms, s.id))

    def save_subscription(self, sub: Subscription) -> None:
        result = self._call(self._subs.replace_one, {"_id": sub.id}, self._stored(sub))
        if result.matched_count == 0:
            self.subscription(sub.id)  # raises

    def reseal(self) -> int:
        docs = self._call(lambda: list(self._subs.find({})))
        for doc in docs:
            sub = reseal_subscription(_struct(doc, Subscription), self.sealer)
            self._call(self._subs.replace_one, {"_id": sub.id}, {"_id": sub.id, **to_doc(sub)})
        return len(docs)

    def remove_subscription(self, sub_id: str) -> None:
        result = self._call(self._subs.delete_one, {"_id": sub_id})
        if result.deleted_count == 0:
            self.subscription(sub_id)  # raises
        self._call(self._cooldowns.delete_many, {"sub_id": sub_id})

    # -- queueing -----------------------------------------------------------------------------

    def has_spike(self, sub_id: str, spike_id: str) -> bool:
        doc = self._call(self._placements.find_one, {"_id": f"{sub_id}|{spike_id}"})
        if doc is None:
            return False
        if self._call(self._deliveries.find_one, {"_id": doc["delivery_id"]}, {"_id": 1}) is None:
            # Placed by a writer that died before it stored the delivery: store it now.
            now = int(time.time() * 1000)
            with suppress(DuplicateKeyError):
                self._call(
                    self._deliveries.insert_one,
                    {
                        "_id": doc["delivery_id"],
                        **to_doc(
                            Delivery(
                                id=doc["delivery_id"], sub_id=sub_id, created_ms=now, due_ms=now
                            )
                        ),
                    },
                )
            log.warning("alert %s of %s was placed but not queued: queued now", spike_id, sub_id)
        return True

    def pass_cooldown(
        self, sub_id: str, entity: str, spike_id: str, detected_ms: int, cooldown_ms: int
    ) -> bool:
        key = f"{sub_id}|{entity}"
        doc = self._call(self._cooldowns.find_one, {"_id": key})
        if (
            doc is not None
            and doc["spike_id"] != spike_id
            and detected_ms < doc["last_ms"] + cooldown_ms
        ):
            return False
        new = {
            "_id": key,
            "sub_id": sub_id,
            "entity": entity,
            "spike_id": spike_id,
            "last_ms": max(detected_ms, doc["last_ms"] if doc else 0),
        }
        self._call(self._cooldowns.replace_one, {"_id": key}, new, upsert=True)
        return True

    def _place(self, sub_id: str, spike: Spike, delivery_id: str) -> bool:
        try:
            self._call(
                self._placements.insert_one,
                {
                    "_id": f"{sub_id}|{spike.spike_id}",
                    "sub_id": sub_id,
                    "delivery_id": delivery_id,
                    "spike": msgspec.to_builtins(spike),
                },
            )
        except DuplicateKeyError:
            return False
        return True

    def append_open(self, sub_id: str, spike: Spike) -> bool:
        docs = self._call(
            lambda: list(
                self._deliveries.find(
                    {"sub_id": sub_id, "status": "pending", "sealed": False}, {"_id": 1}
                ).limit(1)
            )
        )
        if not docs:
            return False
        self._place(sub_id, spike, docs[0]["_id"])
        return True

    def last_created_ms(self, sub_id: str) -> int | None:
        docs = self._call(
            lambda: list(
                self._deliveries.find({"sub_id": sub_id}, {"created_ms": 1})
                .sort("created_ms", DESCENDING)
                .limit(1)
            )
        )
        return int(docs[0]["created_ms"]) if docs else None

    def create_delivery(self, delivery: Delivery) -> bool:
        # Placements first: a delivery is never seen by a claimer without its spikes (a
        # placement whose delivery is missing is repaired by has_spike).
        placed = [s for s in delivery.spikes if self._place(delivery.sub_id, s, delivery.id)]
        if delivery.spikes and not placed:
            return False
        try:
            self._call(self._deliveries.insert_one, {"_id": delivery.id, **to_doc(delivery)})
        except DuplicateKeyError:
            return False
        return True

    # -- dispatching --------------------------------------------------------------------------

    def claim(self, now_ms: int, lease_ms: int) -> Delivery | None:
        candidates = self._call(
            lambda: list(
                self._deliveries.find(
                    {"status": "pending", "due_ms": {"$lte": now_ms}, "lease_ms": {"$lte": now_ms}}
                )
                .sort("due_ms", ASCENDING)
                .limit(20)
            )
        )
        for doc in candidates:
            # The state seen, and the lease period we are in: a claimer that died between this
            # insert and its update of the delivery holds it for one lease period, not forever.
            token = f"{doc['_id']}|{doc['due_ms']}|{doc['lease_ms']}|{now_ms // lease_ms}"
            try:
                self._call(self._claims.insert_one, {"_id": token, "at_ms": now_ms})
            except DuplicateKeyError:
                continue  # another worker saw the same state first
            d = _struct(doc, Delivery)
            if not d.sealed:
                placed = self._placed(d.id)
                if not placed:  # not possible by create_delivery's order; never send nothing
                    d.due_ms = now_ms + 1000
                    self._save(d)
                    continue
                d.spike_ids = [s.spike_id for s in placed]
                d.spikes = placed
            d.sealed, d.lease_ms = True, now_ms + lease_ms
            self._save(d)
            self._sweep(d, now_ms)
            return d
        return None

    def _placed(self, delivery_id: str) -> list[Spike]:
        docs = self._call(lambda: list(self._placements.find({"delivery_id": delivery_id})))
        spikes = [msgspec.convert(p["spike"], Spike) for p in docs]
        return sorted(spikes, key=lambda s: (s.detected_ms, s.spike_id))

    def _sweep(self, d: Delivery, now_ms: int) -> None:
        """Move spikes placed in ``d`` after it was sealed to a delivery of their own."""
        listed = set(d.spike_ids)
        late = [s for s in self._placed(d.id) if s.spike_id not in listed]
        if not late:
            return
        new_id = id_of_delivery(d.sub_id, late[0].spike_id)
        new = Delivery(
            id=new_id,
            sub_id=d.sub_id,
            spike_ids=[s.spike_id for s in late],
            spikes=late,
            created_ms=now_ms,
            due_ms=now_ms,
            sealed=True,
        )
        with suppress(DuplicateKeyError):  # moved already, by an earlier sweep
            self._call(self._deliveries.insert_one, {"_id": new_id, **to_doc(new)})
        for s in late:
            self._call(
                self._placements.update_one,
                {"_id": f"{d.sub_id}|{s.spike_id}"},
                {"$set": {"delivery_id": new_id}},
            )

    def _save(self, d: Delivery) -> None:
        doc = to_doc(d)
        for key in ("id", "sub_id", "created_ms"):
            doc.pop(key)
        self._call(self._deliveries.update_one, {"_id": d.id}, {"$set": doc})

    def finish(self, delivery: Delivery, attempt: Attempt | None) -> None:
        self._save(delivery)
        if delivery.sealed:
            self._sweep(delivery, delivery.done_ms or delivery.due_ms)
        if attempt is not None:
            self._call(
                self._attempts.replace_one,
                {"_id": f"{attempt.delivery_id}|{attempt.n}"},
                {"_id": f"{attempt.delivery_id}|{attempt.n}", **to_doc(attempt)},
                upsert=True,
            )

    def next_due_ms(self) -> int | None:
        docs = self._call(
            lambda: list(
                self._deliveries.find({"status": "pending"}, {"due_ms": 1, "lease_ms": 1})
                .sort("due_ms", ASCENDING)
                .limit(50)
            )
        )
        return min((max(d["due_ms"], d["lease_ms"]) for d in docs), default=None)

    # -- the log ------------------------------------------------------------------------------

    def delivery(self, delivery_id: str) -> Delivery:
        doc = self._call(self._deliveries.find_one, {"_id": delivery_id})
        if doc is None:
            raise UnknownAlertError(
                f"no delivery {delivery_id!r}; `trendmon alerts log SUB` shows their ids"
            )
        return self._whole(_struct(doc, Delivery))

    def _whole(self, d: Delivery) -> Delivery:
        """An open delivery's spikes are its placements so far."""
        if not d.sealed:
            d.spikes = self._placed(d.id)
            d.spike_ids = [s.spike_id for s in d.spikes]
        return d

    def deliveries(
        self,
        sub_id: str | None = None,
        status: Status | None = None,
        since_ms: int | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        query: Doc = {}
        if sub_id is not None:
            query["sub_id"] = sub_id
        if status is not None:
            query["status"] = status
        if since_ms is not None:
            query["created_ms"] = {"$gte": since_ms}
        docs = self._call(
            lambda: list(
                self._deliveries.find(query)
                .sort([("created_ms", DESCENDING), ("_id", ASCENDING)])
                .limit(limit)
            )
        )
        return [self._whole(_struct(d, Delivery)) for d in docs]

    def attempts(
        self, delivery_id: str | None = None, sub_id: str | None = None, limit: int = 100
    ) -> list[Attempt]:
        query: Doc = {}
        if delivery_id is not None:
            query["delivery_id"] = delivery_id
        if sub_id is not None:
            query["sub_id"] = sub_id
        docs = self._call(
            lambda: list(
                self._attempts.find(query)
                .sort([("at_ms", DESCENDING), ("n", DESCENDING)])
                .limit(limit)
            )
        )
        return [_struct(d, Attempt) for d in docs]

    def clear(self) -> None:
        """Drop every alert collection (tests)."""
        for coll in (
            self._subs,
            self._deliveries,
            self._attempts,
            self._cooldowns,
            self._placements,
            self._claims,
        ):
            self._call(coll.drop)

    def close(self) -> None:
        self._client.close()
