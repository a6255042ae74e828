"""The distributed creator store: collections ``creator_*`` in MongoDB (or FerretDB v1).

- ``creator_days``: ``_id`` = ``account|date``, ``values`` = {metric: [value, as_of]};
- ``creator_posts``: ``_id`` = ``account|key``, the post's fields and ``as_of``;
- ``creator_audience``: ``_id`` = ``account|section``, the newest snapshot's shares (a list of
  ``{key, share}``: FerretDB v1 takes no nested arrays) and day;
- ``creator_activity``: ``_id`` = ``account|date|hour``, ``active`` and ``as_of``;
- ``creator_imports``: ``_id`` = ``account|source|format|exported``, the import's summary.

Whole documents are replaced, by deleting their ids and inserting them again (no ``$inc``, no
upserts, nothing FerretDB v1 runs without a lock): an import is a read, a merge in
:class:`~trendmon.sinks.creator.MergingStore` and a write; two imports of one account at the
same instant could lose one's values, and a crash between the delete and the insert loses those
documents, which importing the same files again restores (the exports are the source).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import msgspec
from pymongo import ASCENDING, MongoClient
from pymongo.collection import Collection
from pymongo.errors import ConnectionFailure

from trendmon.creator.merge import Summary, Valued
from trendmon.creator.records import Activity, Post, Share
from trendmon.errors import ServiceUnavailableError
from trendmon.settings import MongoSettings
from trendmon.sinks.creator import DayValues, MergingStore
from trendmon.sinks.mongo.client import connect
from trendmon.sinks.mongo.history import redact

Doc = dict[str, Any]
T = TypeVar("T")


class MongoCreator(MergingStore):
    """The creator store in database ``settings.database``."""

    def __init__(self, settings: MongoSettings | None = None, *, database: str | None = None):
        self.settings = settings or MongoSettings()
        self._uri = self.settings.uri.get_secret_value()
        self._client: MongoClient[Doc] = connect(self.settings, "creator")
        db = self._client[database or self.settings.database]
        self._days: Collection[Doc] = db["creator_days"]
        self._posts: Collection[Doc] = db["creator_posts"]
        self._audience: Collection[Doc] = db["creator_audience"]
        self._activity: Collection[Doc] = db["creator_activity"]
        self._imports: Collection[Doc] = db["creator_imports"]
        try:
            self._call(self._setup)
        except BaseException:
            self._client.close()
            raise

    def _setup(self) -> None:
        self._days.create_index([("account", ASCENDING), ("date", ASCENDING)])
        self._activity.create_index([("account", ASCENDING), ("date", ASCENDING)])
        self._posts.create_index([("account", ASCENDING)])

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except ConnectionFailure as exc:
            raise ServiceUnavailableError(
                f"MongoDB at {redact(self._uri)} did not answer ({type(exc).__name__}: "
                f"{exc!s:.200}); start it or set TRENDMON_MONGO_URI to a server that runs",
                "the creator store (MongoDB)",
            ) from exc

    def _find(self, coll: Collection[Doc], query: Doc, sort: list[tuple[str, int]] | None = None
              ) -> list[Doc]:  # fmt: skip
        def run() -> list[Doc]:
            cursor = coll.find(query)
            if sort:
                cursor = cursor.sort(sort)
            return list(cursor)

        return self._call(run)

    def _replace(self, coll: Collection[Doc], docs: list[Doc]) -> None:
        """Write whole documents: a delete of their ids, then one insert (FerretDB v1 stopped
        answering here on a bulk of upserting replacements over existing documents)."""
        for start in range(0, len(docs), 500):
            part = docs[start : start + 500]
            self._call(coll.delete_many, {"_id": {"$in": [d["_id"] for d in part]}})
            self._call(coll.insert_many, part, ordered=False)

    # -- primitives ---------------------------------------------------------------------------
    def _load_days(self, account: str, dates: Iterable[str]) -> dict[str, DayValues]:
        wanted = sorted(set(dates))
        if not wanted:
            return {}
        docs = self._find(
            self._days, {"account": account, "date": {"$gte": wanted[0], "$lte": wanted[-1]}}
        )
        return {
            d["date"]: {m: (int(v[0]), str(v[1])) for m, v in d["values"].items()} for d in docs
        }

    def _store_days(self, account: str, days: Mapping[str, DayValues]) -> None:
        self._replace(self._days, [
            {"_id": f"{account}|{day}", "account": account, "date": day,
             "values": {m: [v, at] for m, (v, at) in values.items()}}
            for day, values in days.items()
        ])  # fmt: skip

    def _load_posts(self, account: str, keys: Iterable[str]) -> dict[str, tuple[Post, str]]:
        ids = [f"{account}|{k}" for k in set(keys)]
        docs = self._find(self._posts, {"_id": {"$in": ids}})
        return {d["key"]: (_post(d), d["as_of"]) for d in docs}

    def _store_posts(self, account: str, posts: list[tuple[Post, str]]) -> None:
        self._replace(self._posts, [
            {"_id": f"{account}|{p.key}", "account": account, "as_of": at,
             "sort_at": p.posted_at or "", **msgspec.to_builtins(p)}
            for p, at in posts
        ])  # fmt: skip

    def _section_as_of(self, account: str, section: str) -> str | None:
        doc = self._call(self._audience.find_one, {"_id": f"{account}|{section}"})
        return None if doc is None else str(doc["as_of"])

    def _store_section(
        self, account: str, section: str, shares: list[Share], as_of: str
    ) -> None:
        self._replace(self._audience, [{
            "_id": f"{account}|{section}", "account": account, "section": section,
            "as_of": as_of, "shares": [{"key": s.key, "share": s.share} for s in shares],
        }])  # fmt: skip

    def _load_activity(
        self, account: str, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], Valued]:
        dates = sorted({d for d, _ in keys})
        if not dates:
            return {}
        docs = self._find(
            self._activity, {"account": account, "date": {"$gte": dates[0], "$lte": dates[-1]}}
        )
        return {(d["date"], int(d["hour"])): (int(d["active"]), d["as_of"]) for d in docs}

    def _store_activity(self, account: str, values: Mapping[tuple[str, int], Valued]) -> None:
        self._replace(self._activity, [
            {"_id": f"{account}|{d}|{h:02d}", "account": account, "date": d, "hour": h,
             "active": a, "as_of": at}
            for (d, h), (a, at) in values.items()
        ])  # fmt: skip

    def _log(self, account: str, summary: Summary) -> None:
        key = f"{account}|{summary.source}|{summary.format}|{summary.exported}"
        self._replace(self._imports, [{"_id": key, "account": account,
                                       **msgspec.to_builtins(summary)}])  # fmt: skip

    # -- reads --------------------------------------------------------------------------------
    def accounts(self) -> list[dict[str, Any]]:
        names: set[str] = set()
        for coll in (self._days, self._posts, self._audience, self._imports):
            names.update(self._call(coll.distinct, "account"))
        out = []
        for name in sorted(names):
            days = self._find(self._days, {"account": name}, [("date", ASCENDING)])
            followers = [d["values"]["followers"][0] for d in days if "followers" in d["values"]]
            imports = self._find(self._imports, {"account": name})
            out.append({
                "account": name,
                "first_day": days[0]["date"] if days else None,
                "last_day": days[-1]["date"] if days else None,
                "days": len(days),
                "posts": self._call(self._posts.count_documents, {"account": name}),
                "followers": followers[-1] if followers else None,
                "imported": max((d["exported"] for d in imports), default=None),
            })  # fmt: skip
        return out

    def days(
        self, account: str, start: str | None = None, end: str | None = None
    ) -> list[dict[str, Any]]:
        query: Doc = {"account": account, "date": {"$gte": start or "0000-00-00",
                                                   "$lte": end or "9999-99-99"}}  # fmt: skip
        docs = self._find(self._days, query, [("date", ASCENDING)])
        return [{"date": d["date"], **{m: v[0] for m, v in d["values"].items()}} for d in docs]

    def posts(self, account: str) -> list[Post]:
        docs = self._find(self._posts, {"account": account})
        docs.sort(key=lambda d: d["key"])
        docs.sort(key=lambda d: d.get("sort_at") or "", reverse=True)
        return [_post(d) for d in docs]

    def audience(self, account: str, section: str) -> tuple[str | None, list[Share]]:
        doc = self._call(self._audience.find_one, {"_id": f"{account}|{section}"})
        if doc is None:
            return None, []
        shares = [Share(section, s["key"], float(s["share"])) for s in doc["shares"]]
        shares.sort(key=lambda s: (-s.share, s.key))
        return str(doc["as_of"]), shares

    def activity(self, account: str) -> list[Activity]:
        docs = self._find(self._activity, {"account": account})
        out = [Activity(d["date"], int(d["hour"]), int(d["active"])) for d in docs]
        return sorted(out, key=lambda a: (a.date, a.hour))

    def imports(self, account: str) -> list[Summary]:
        docs = self._find(self._imports, {"account": account})
        out = [msgspec.convert({k: v for k, v in d.items() if k != "_id" and k != "account"}
                               | {"account": account}, Summary) for d in docs]  # fmt: skip
        return sorted(out, key=lambda s: (s.exported, s.source))

    def close(self) -> None:
        self._client.close()


def _post(doc: Doc) -> Post:
    fields = {k: v for k, v in doc.items() if k not in ("_id", "account", "as_of", "sort_at")}
    return msgspec.convert(fields, Post)
