"""Accounts, sessions and kiosk links on MongoDB (or FerretDB v1), in the history's database.

Collections ``users`` (``_id`` = name), ``sessions`` (``_id`` = id hash, indexed by user),
``kiosks`` (``_id`` = id, indexed by token and cookie hash) and ``signins`` (``_id`` = token
hash), in ``TRENDMON_MONGO_DATABASE`` whatever the namespace: a replay has the same users.
Only equality queries and ``findAndModify``, which FerretDB v1 serves.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, fields
from typing import Any, TypeVar

from pymongo import ASCENDING, DESCENDING, MongoClient, ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from trendmon.accounts.store import ApiToken, AuditEvent, Kiosk, Session, SignIn, User
from trendmon.errors import ServiceUnavailableError
from trendmon.settings import MongoSettings
from trendmon.sinks.mongo.client import connect
from trendmon.sinks.mongo.history import redact

Doc = dict[str, Any]
R = TypeVar("R", User, Session, Kiosk, SignIn, ApiToken)
_KEYS = {User: "name", Session: "id_hash", Kiosk: "id", SignIn: "token_hash", ApiToken: "id"}


def _doc(record: Any) -> Doc:
    doc = asdict(record)
    doc["_id"] = doc.pop(_KEYS[type(record)])
    return doc


def _record(cls: type[R], doc: Doc | None) -> R | None:
    if doc is None:
        return None
    # A field added since the document was written takes its default.
    values: dict[str, Any] = {
        f.name: doc.get(f.name, None if f.default is MISSING else f.default) for f in fields(cls)
    }
    values[_KEYS[cls]] = doc["_id"]
    return cls(**values)


class MongoAccounts:
    """:class:`~trendmon.accounts.store.AccountStore` on MongoDB."""

    def __init__(
        self, settings: MongoSettings | None = None, *, database: str | None = None
    ) -> None:
        self.settings = settings or MongoSettings()
        uri = self.settings.uri.get_secret_value()
        self._client: MongoClient[Doc] = connect(self.settings, "accounts")
        db = self._client[database or self.settings.database]
        self._users: Collection[Doc] = db["users"]
        self._sessions: Collection[Doc] = db["sessions"]
        self._kiosks: Collection[Doc] = db["kiosks"]
        self._signins: Collection[Doc] = db["signins"]
        self._tokens: Collection[Doc] = db["api_tokens"]
        self._audit: Collection[Doc] = db["audit"]
        try:
            self._sessions.create_index([("user", ASCENDING)], name="user")
            self._kiosks.create_index([("token_hash", ASCENDING)], name="token_hash")
            self._kiosks.create_index([("cookie_hash", ASCENDING)], name="cookie_hash")
            self._tokens.create_index([("token_hash", ASCENDING)], name="token_hash")
            self._audit.create_index([("at_ms", DESCENDING)], name="at_ms")
        except ConnectionFailure as exc:
            self._client.close()
            raise ServiceUnavailableError(
                f"MongoDB at {redact(uri)} did not answer ({type(exc).__name__}); start it or "
                "set TRENDMON_MONGO_URI to a server that runs",
                "the account store (MongoDB)",
            ) from None

    def add_user(self, user: User) -> bool:
        try:
            self._users.insert_one(_doc(user))
        except DuplicateKeyError:
            return False
        return True

    def get_user(self, name: str) -> User | None:
        return _record(User, self._users.find_one({"_id": name}))

    def users(self) -> list[User]:
        docs = self._users.find({}).sort("_id", ASCENDING)
        return [u for u in (_record(User, d) for d in docs) if u is not None]

    def update_user(self, name: str, **fields_: Any) -> bool:
        return self._users.update_one({"_id": name}, {"$set": fields_}).matched_count > 0

    def remove_user(self, name: str) -> bool:
        return self._users.delete_one({"_id": name}).deleted_count > 0

    def add_session(self, session: Session) -> None:
        self._sessions.insert_one(_doc(session))

    def get_session(self, id_hash: str) -> Session | None:
        return _record(Session, self._sessions.find_one({"_id": id_hash}))

    def touch_session(self, id_hash: str, seen_ms: int) -> None:
        self._sessions.update_one({"_id": id_hash}, {"$set": {"seen_ms": seen_ms}})

    def remove_session(self, id_hash: str) -> None:
        self._sessions.delete_one({"_id": id_hash})

    def remove_sessions(self, user: str) -> int:
        return self._sessions.delete_many({"user": user}).deleted_count

    def add_kiosk(self, kiosk: Kiosk) -> None:
        self._kiosks.insert_one(_doc(kiosk))

    def kiosks(self) -> list[Kiosk]:
        docs = self._kiosks.find({}).sort([("created_ms", ASCENDING), ("_id", ASCENDING)])
        return [k for k in (_record(Kiosk, d) for d in docs) if k is not None]

    def find_kiosk(self, field: str, value: str) -> Kiosk | None:
        if field not in ("id", "token_hash", "cookie_hash"):
            raise ValueError(f"kiosks are not found by {field}")
        return _record(Kiosk, self._kiosks.find_one({"_id" if field == "id" else field: value}))

    def update_kiosk(self, kiosk_id: str, **fields_: Any) -> bool:
        return self._kiosks.update_one({"_id": kiosk_id}, {"$set": fields_}).matched_count > 0

    def take_kiosk_token(self, token_hash: str, cookie_hash: str) -> Kiosk | None:
        doc = self._kiosks.find_one_and_update(
            {"token_hash": token_hash},
            {"$set": {"token_hash": None, "cookie_hash": cookie_hash}},
            return_document=ReturnDocument.AFTER,
        )
        return _record(Kiosk, doc)

    def add_signin(self, signin: SignIn) -> None:
        self._signins.insert_one(_doc(signin))

    def take_signin(self, token_hash: str) -> SignIn | None:
        return _record(SignIn, self._signins.find_one_and_delete({"_id": token_hash}))

    def add_token(self, token: ApiToken) -> None:
        self._tokens.insert_one(_doc(token))

    def tokens(self) -> list[ApiToken]:
        docs = self._tokens.find({}).sort([("created_ms", ASCENDING), ("_id", ASCENDING)])
        return [t for t in (_record(ApiToken, d) for d in docs) if t is not None]

    def find_token(self, field: str, value: str) -> ApiToken | None:
        if field not in ("id", "token_hash"):
            raise ValueError(f"API tokens are not found by {field}")
        return _record(ApiToken, self._tokens.find_one({"_id" if field == "id" else field: value}))

    def update_token(self, token_id: str, **fields_: Any) -> bool:
        return self._tokens.update_one({"_id": token_id}, {"$set": fields_}).matched_count > 0

    def add_audit(self, event: AuditEvent) -> None:
        self._audit.insert_one(asdict(event))

    def audit(self, limit: int) -> list[AuditEvent]:
        docs = self._audit.find({}).sort([("at_ms", DESCENDING), ("_id", DESCENDING)])
        return [
            AuditEvent(d["at_ms"], d["who"], d["action"], d["target"], d["source"])
            for d in docs.limit(limit)
        ]

    def close(self) -> None:
        self._client.close()
