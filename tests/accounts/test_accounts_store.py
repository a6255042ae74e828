"""Accounts, sessions, sign-in and kiosk links: one suite for both stores (SQLite, MongoDB)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trendmon.accounts import apitokens, audit, kiosks, sessions, users
from trendmon.accounts.roles import Role
from trendmon.accounts.store import AccountStore
from trendmon.accounts.tokens import digest
from trendmon.errors import (
    AccountError,
    AccountExistsError,
    AuthenticationError,
    PasswordPolicyError,
    UnknownAccountError,
)
from trendmon.settings import MongoSettings
from trendmon.sinks.factory import open_accounts

PASSWORD = "plum tractor lantern"
HOUR_S = 3600.0


@pytest.fixture(params=["sqlite", "mongo"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AccountStore]:
    if request.param == "sqlite":
        opened = open_accounts("sqlite", home=tmp_path)
    else:
        uri = request.getfixturevalue("mongo_uri")
        from trendmon.sinks.mongo.accounts import MongoAccounts

        database = f"acc_{uuid.uuid4().hex[:10]}"
        settings = MongoSettings(uri=uri)  # type: ignore[arg-type]
        opened = MongoAccounts(settings, database=database)
    yield opened
    if request.param == "mongo":
        from pymongo import MongoClient

        with MongoClient(request.getfixturevalue("mongo_uri")) as client:
            client.drop_database(database)
    opened.close()


def now() -> int:
    return int(time.time() * 1000)


def test_accounts_are_added_listed_changed_and_removed(store: AccountStore) -> None:
    users.add(store, "ann", "analyst", PASSWORD, now())
    users.add(store, "bob", "viewer", None, now())
    with pytest.raises(AccountExistsError):
        users.add(store, "ann", "viewer", PASSWORD, now())
    with pytest.raises(PasswordPolicyError):
        users.add(store, "cy", "viewer", "password1", now())
    with pytest.raises(AccountError, match="unknown role"):
        users.add(store, "cy", "root", PASSWORD, now())
    with pytest.raises(AccountError, match="not an account name"):
        users.add(store, "Robert'); DROP", "viewer", PASSWORD, now())
    assert [(u.name, u.role) for u in store.users()] == [("ann", "analyst"), ("bob", "viewer")]
    stored = store.get_user("ann")
    assert stored is not None and stored.password_hash and PASSWORD not in stored.password_hash
    users.set_role(store, "ann", "admin")
    assert users.get(store, "ann").role == "admin"
    users.remove(store, "bob")
    with pytest.raises(UnknownAccountError):
        users.get(store, "bob")


def test_authentication_has_one_answer_for_every_failure(store: AccountStore) -> None:
    users.add(store, "ann", "analyst", PASSWORD, now())
    users.add(store, "bob", "viewer", None, now())
    assert users.authenticate(store, "ann", PASSWORD).name == "ann"
    failures = [("ann", "wrong password!"), ("nobody", PASSWORD), ("bob", ""), ("", "")]
    users.set_disabled(store, "ann")
    failures.append(("ann", PASSWORD))
    messages = set()
    for name, password in failures:
        with pytest.raises(AuthenticationError) as caught:
            users.authenticate(store, name, password)
        messages.add(str(caught.value))
    assert messages == {"wrong account name or password"}


def test_sessions_time_out_and_end_when_the_account_changes(store: AccountStore) -> None:
    user = users.add(store, "ann", "analyst", PASSWORD, now())
    token, csrf = sessions.start(store, user, now())
    assert store.get_session(token) is None  # only the hash is stored
    who = sessions.resolve(store, token, now(), HOUR_S, HOUR_S)
    assert who is not None and who.role is Role.analyst and who.csrf == csrf
    assert sessions.resolve(store, token + "x", now(), HOUR_S, HOUR_S) is None
    assert sessions.resolve(store, token, now() + 2_000, 1.0, HOUR_S) is None  # idle
    token, _ = sessions.start(store, user, now())
    assert sessions.resolve(store, token, now() + 2_000, HOUR_S, 1.0) is None  # absolute
    for change in (
        lambda: users.set_password(store, "ann", "another good phrase"),
        lambda: users.set_role(store, "ann", "viewer"),
        lambda: users.set_disabled(store, "ann"),
    ):
        users.set_disabled(store, "ann", False)
        token, _ = sessions.start(store, user, now())
        assert sessions.resolve(store, token, now(), HOUR_S, HOUR_S) is not None
        change()
        assert sessions.resolve(store, token, now(), HOUR_S, HOUR_S) is None
    users.set_disabled(store, "ann", False)
    token, _ = sessions.start(store, user, now())
    sessions.end(store, token)
    assert sessions.resolve(store, token, now(), HOUR_S, HOUR_S) is None


def test_a_sign_in_link_works_once_and_expires(store: AccountStore) -> None:
    admin = users.local_admin(store, now())
    assert admin.role == "admin" and admin.password_hash is None
    token = sessions.create_signin(store, admin, now())
    assert sessions.redeem_signin(store, token, now()).name == "local"
    with pytest.raises(AuthenticationError):
        sessions.redeem_signin(store, token, now())
    late = sessions.create_signin(store, admin, now(), ttl_ms=1)
    with pytest.raises(AuthenticationError):
        sessions.redeem_signin(store, late, now() + 1000)


def test_a_kiosk_link_is_exchanged_once_and_revoked_for_good(store: AccountStore) -> None:
    kiosk, token = kiosks.create(store, "office TV", now(), 3_600_000)
    assert len(token) >= 43 and store.find_kiosk("token_hash", digest(token)) is not None
    assert token not in repr(store.kiosks())
    cookie = kiosks.exchange(store, token, now())
    with pytest.raises(AuthenticationError):
        kiosks.exchange(store, token, now())  # once
    found: Any = kiosks.resolve(store, cookie, now())
    assert found is not None and found.id == kiosk.id and found.last_used_ms is not None
    assert kiosks.resolve(store, cookie, now() + 3_600_001) is None  # expired
    kiosks.revoke(store, kiosk.id)
    assert kiosks.resolve(store, cookie, now()) is None
    with pytest.raises(UnknownAccountError):
        kiosks.revoke(store, "nope")
    _, late = kiosks.create(store, "lobby", now(), 1)
    with pytest.raises(AuthenticationError):
        kiosks.exchange(store, late, now() + 1000)


def test_a_kiosk_keeps_its_market_and_boards_and_refuses_bad_ones(store: AccountStore) -> None:
    kiosk, token = kiosks.create(store, "US TV", now(), 3_600_000, "us", ["videos", "hashtags"])
    assert (kiosk.market, kiosk.boards) == ("US", "videos,hashtags")
    cookie = kiosks.exchange(store, token, now())
    found: Any = kiosks.resolve(store, cookie, now())
    assert (found.market, found.boards) == ("US", "videos,hashtags")
    anywhere, _ = kiosks.create(store, "lobby", now(), 3_600_000, "all", [""])
    assert (anywhere.market, anywhere.boards) == ("", "")
    with pytest.raises(AccountError, match="market: 'USA' is not a market"):
        kiosks.create(store, "x", now(), 1, "USA")
    with pytest.raises(AccountError, match="boards: 'rankings' is not a board of the wall"):
        kiosks.create(store, "x", now(), 1, "", ["videos", "rankings"])


def test_an_accounts_file_from_before_kiosk_limits_opens_and_keeps_its_kiosks(
    tmp_path: Path,
) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "accounts.sqlite3") as db:
        db.execute(
            "CREATE TABLE kiosks (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER "
            "NOT NULL, expires_ms INTEGER NOT NULL, token_hash TEXT UNIQUE, cookie_hash TEXT "
            "UNIQUE, last_used_ms INTEGER, revoked INTEGER NOT NULL DEFAULT 0)"
        )
        db.execute("INSERT INTO kiosks VALUES ('k1', 'old TV', 1, 9e15, 'h', NULL, NULL, 0)")
    store = open_accounts("sqlite", home=tmp_path)
    try:
        [old] = store.kiosks()
        assert (old.id, old.name, old.market, old.boards) == ("k1", "old TV", "", "")
        new, _ = kiosks.create(store, "new TV", now(), 1000, "GB", ["spikes"])
        assert store.find_kiosk("id", new.id).boards == "spikes"  # type: ignore[union-attr]
    finally:
        store.close()


def test_an_api_token_works_until_it_expires_or_is_revoked(store: AccountStore) -> None:
    token, secret = apitokens.create(store, "BI export", "analyst", now(), 3_600_000)
    assert secret.startswith("tm_") and len(secret) >= 46
    assert secret not in repr(store.tokens()) and store.find_token("token_hash", secret) is None
    found = apitokens.resolve(store, secret, now())
    assert found is not None and found.role == "analyst"
    used = store.find_token("id", token.id)
    assert used is not None and used.last_used_ms is not None
    for bad in (secret[:-1] + "x", "tm_", "Bearer " + secret, secret[3:]):
        assert apitokens.resolve(store, bad, now()) is None
    assert apitokens.resolve(store, secret, now() + 3_600_001) is None
    apitokens.revoke(store, token.id)
    assert apitokens.resolve(store, secret, now()) is None
    assert [t.revoked for t in store.tokens()] == [True]


def test_the_audit_log_keeps_the_latest_events_newest_first(store: AccountStore) -> None:
    for i in range(5):
        audit.record(store, "ann", f"action{i}", "bob", "10.0.0.1")
        time.sleep(0.002)
    events = store.audit(3)
    assert [e.action for e in events] == ["action4", "action3", "action2"]
    assert events[0].who == "ann" and events[0].target == "bob" and events[0].source == "10.0.0.1"
