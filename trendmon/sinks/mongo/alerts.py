"""The distributed alert store: collections ``alert_*`` in MongoDB (or FerretDB v1).

- ``alert_subscriptions``: ``_id`` = subscription id, the subscription's fields;
- ``alert_deliveries``: ``_id`` = delivery id (the ``webhook-id``), the delivery's fields; a
  spike is in a subscription's deliveries when one lists it in ``spike_ids`` (an array
  equality, which FerretDB serves);
- ``alert_attempts``: ``_id`` = ``delivery|n``, the log;
- ``alert_cooldowns``: ``_id`` = ``subscription|entity``, the event time of the last alert.

FerretDB v1 has no multi-document transactions, so each primitive is one atomic single-document
operation, and they are ordered so that a crash between two leaves nothing that a replay cannot
finish: the spike is pushed into a delivery only if that delivery does not list it yet, and a
claim is a ``find_one_and_update`` on a pending, due, unleased delivery, so two workers never
hold the same one (the lease lapses if the holder dies).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import msgspec
from pymongo import ASCENDING, DESCENDING, MongoClient, ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from trendmon.alerts.records import Attempt, Delivery, Status, to_doc
from trendmon.alerts.subscriptions import Subscription
from trendmon.errors import ServiceUnavailableError, UnknownAlertError
from trendmon.events import Spike
from trendmon.settings import MongoSettings
from trendmon.sinks.mongo.history import redact

Doc = dict[str, Any]
T = TypeVar("T")


def _struct(doc: Doc, cls: type[T]) -> T:
    doc = {k: v for k, v in doc.items() if k != "_id"}
    return msgspec.convert(doc, cls)


class MongoAlerts:
    """The alert store in database ``settings.database``."""

    def __init__(self, settings: MongoSettings | None = None, *, database: str | None = None):
        self.settings = settings or MongoSettings()
        self._uri = self.settings.uri.get_secret_value()
        timeout = self.settings.timeout_ms
        self._client: MongoClient[Doc] = MongoClient(
            self._uri,
            tz_aware=True,
            retryWrites=True,
            retryReads=True,
            serverSelectionTimeoutMS=timeout,
            connectTimeoutMS=timeout,
            appname="trendmon-alerts",
        )
        db = self._client[database or self.settings.database]
        self._subs: Collection[Doc] = db["alert_subscriptions"]
        self._deliveries: Collection[Doc] = db["alert_deliveries"]
        self._attempts: Collection[Doc] = db["alert_attempts"]
        self._cooldowns: Collection[Doc] = db["alert_cooldowns"]
        try:
            self._call(self._setup)
        except BaseException:
            self._client.close()
            raise

    def _setup(self) -> None:
        self._deliveries.create_index([("status", ASCENDING), ("due_ms", ASCENDING)])
        self._deliveries.create_index([("sub_id", ASCENDING), ("created_ms", DESCENDING)])
        self._attempts.create_index([("sub_id", ASCENDING), ("at_ms", DESCENDING)])

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

    def add_subscription(self, sub: Subscription) -> None:
        self._call(self._subs.insert_one, {"_id": sub.id, **to_doc(sub)})

    def subscription(self, sub_id: str) -> Subscription:
        doc = self._call(self._subs.find_one, {"_id": sub_id})
        if doc is None:
            raise UnknownAlertError(
                f"no subscription {sub_id!r}; `trendmon alerts list` shows their ids"
            )
        return _struct(doc, Subscription)

    def subscriptions(self) -> list[Subscription]:
        docs = self._call(lambda: list(self._subs.find({})))
        subs = [_struct(d, Subscription) for d in docs]
        return sorted(subs, key=lambda s: (s.created_ms, s.id))

    def save_subscription(self, sub: Subscription) -> None:
        result = self._call(self._subs.replace_one, {"_id": sub.id}, {"_id": sub.id, **to_doc(sub)})
        if result.matched_count == 0:
            self.subscription(sub.id)  # raises

    def remove_subscription(self, sub_id: str) -> None:
        result = self._call(self._subs.delete_one, {"_id": sub_id})
        if result.deleted_count == 0:
            self.subscription(sub_id)  # raises
        self._call(self._cooldowns.delete_many, {"sub_id": sub_id})

    # -- queueing -----------------------------------------------------------------------------

    def has_spike(self, sub_id: str, spike_id: str) -> bool:
        doc = self._call(
            self._deliveries.find_one, {"sub_id": sub_id, "spike_ids": spike_id}, {"_id": 1}
        )
        return doc is not None

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
            "sub_id": sub_id,
            "entity": entity,
            "spike_id": spike_id,
            "last_ms": max(detected_ms, doc["last_ms"] if doc else 0),
        }
        if doc is None:
            try:
                self._call(self._cooldowns.insert_one, {"_id": key, **new})
            except DuplicateKeyError:
                return self.pass_cooldown(sub_id, entity, spike_id, detected_ms, cooldown_ms)
            return True
        # Compare-and-set on what was read: a concurrent writer makes this one look again.
        result = self._call(
            self._cooldowns.update_one,
            {"_id": key, "spike_id": doc["spike_id"], "last_ms": doc["last_ms"]},
            {"$set": new},
        )
        if result.matched_count == 0:
            return self.pass_cooldown(sub_id, entity, spike_id, detected_ms, cooldown_ms)
        return True

    def append_open(self, sub_id: str, spike: Spike) -> bool:
        doc = self._call(
            self._deliveries.find_one_and_update,
            {
                "sub_id": sub_id,
                "status": "pending",
                "sealed": False,
                "spike_ids": {"$ne": spike.spike_id},
            },
            {"$push": {"spike_ids": spike.spike_id, "spikes": msgspec.to_builtins(spike)}},
            projection={"_id": 1},
        )
        return doc is not None

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
        try:
            self._call(self._deliveries.insert_one, {"_id": delivery.id, **to_doc(delivery)})
        except DuplicateKeyError:
            return False
        return True

    # -- dispatching --------------------------------------------------------------------------

    def claim(self, now_ms: int, lease_ms: int) -> Delivery | None:
        doc = self._call(
            self._deliveries.find_one_and_update,
            {"status": "pending", "due_ms": {"$lte": now_ms}, "lease_ms": {"$lte": now_ms}},
            {"$set": {"sealed": True, "lease_ms": now_ms + lease_ms}},
            sort=[("due_ms", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _struct(doc, Delivery)

    def finish(self, delivery: Delivery, attempt: Attempt | None) -> None:
        doc = to_doc(delivery)
        # Spikes are only ever added before the seal; leave them as the store has them.
        for key in ("spikes", "spike_ids", "id", "sub_id", "created_ms"):
            doc.pop(key)
        self._call(self._deliveries.update_one, {"_id": delivery.id}, {"$set": doc})
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
        return _struct(doc, Delivery)

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
        return [_struct(d, Delivery) for d in docs]

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
        for coll in (self._subs, self._deliveries, self._attempts, self._cooldowns):
            self._call(coll.drop)

    def close(self) -> None:
        self._client.close()
