"""The alert store: one suite against SQLite (embedded) and MongoDB or FerretDB (distributed),
then the dispatcher over FerretDB to real receivers: retries, a restart and two workers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from trendmon.accounts.sealing import generate_key
from trendmon.alerts.records import Attempt, Delivery
from trendmon.errors import UnknownAlertError
from trendmon.settings import MongoSettings
from trendmon.sinks.alerts import AlertStore
from trendmon.sinks.factory import open_alerts
from trendmon.sinks.webhooks import admin
from trendmon.sinks.webhooks.delivery import Dispatcher

from ..alerts.conftest import alert_settings, make_spike
from ..alerts.receivers import Clock, Reply, receiver

KEY = generate_key()


@pytest.fixture(autouse=True)
def _shared_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The distributed store needs a key every process shares (sqlite's tests then use it too,
    except where a test removes it)."""
    monkeypatch.setenv("TRENDMON_SECRETS_KEYS", KEY)


@pytest.fixture(params=["sqlite", "mongo"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, object]]:
    if request.param == "sqlite":
        yield "sqlite", tmp_path / "home"
        return
    uri = request.getfixturevalue("mongo_uri")
    settings = MongoSettings(uri=uri, database=f"alerts_{uuid.uuid4().hex[:10]}")
    yield "mongo", settings
    from pymongo import MongoClient

    with MongoClient(uri) as client:
        client.drop_database(settings.database)


def open_store(backend: tuple[str, object]) -> AlertStore:
    kind, where = backend
    if kind == "sqlite":
        assert isinstance(where, Path)
        return open_alerts("sqlite", home=where)
    assert isinstance(where, MongoSettings)
    return open_alerts("mongo", mongo=where)


@pytest.fixture
def store(backend: tuple[str, object]) -> Iterator[AlertStore]:
    s = open_store(backend)
    yield s
    s.close()


def one(delivery_id: str, spike_id: str, **fields: int) -> Delivery:
    """A delivery of one spike."""
    spike = make_spike(spike_id=spike_id)
    return Delivery(id=delivery_id, sub_id="sub", spike_ids=[spike_id], spikes=[spike], **fields)


def test_subscriptions_round_trip(store: AlertStore) -> None:
    a, secret = admin.add(store, "https://a.example/h", kinds=["sound"])
    b, _ = admin.add(store, "https://b.example/h", fmt="slack")
    assert store.subscription(a.id) == a and a.secret == secret
    assert [s.id for s in store.subscriptions()] == sorted(
        [a.id, b.id], key=lambda i: (store.subscription(i).created_ms, i)
    )
    paused = admin.pause(store, a.id)
    assert store.subscription(a.id).state == "paused" == paused.state
    admin.remove(store, b.id)
    with pytest.raises(UnknownAlertError, match="trendmon alerts list"):
        store.subscription(b.id)
    with pytest.raises(UnknownAlertError):
        admin.remove(store, b.id)


def test_a_spike_is_placed_once_and_the_cooldown_is_atomic(store: AlertStore) -> None:
    spike = make_spike(spike_id="s1")
    assert not store.has_spike("sub", "s1")
    assert store.pass_cooldown("sub", spike.entity, "s1", 1000, 60_000)
    assert store.pass_cooldown("sub", spike.entity, "s1", 1000, 60_000)  # the same again
    assert not store.pass_cooldown("sub", spike.entity, "s2", 30_000, 60_000)
    assert store.pass_cooldown("sub", spike.entity, "s3", 61_000, 60_000)
    assert store.pass_cooldown("other", spike.entity, "s2", 30_000, 60_000)
    d = Delivery(id="msg_1", sub_id="sub", spike_ids=["s1"], spikes=[spike], created_ms=5)
    assert store.create_delivery(d) and not store.create_delivery(d)
    assert store.has_spike("sub", "s1") and store.last_created_ms("sub") == 5
    assert store.append_open("sub", make_spike(spike_id="s4"))
    assert store.has_spike("sub", "s4")
    assert store.delivery("msg_1").spike_ids == ["s1", "s4"]


def test_a_claim_seals_leases_and_is_exclusive(store: AlertStore) -> None:
    for i, due in enumerate((300, 100, 200)):
        store.create_delivery(one(f"msg_{i}", f"s{i}", created_ms=i, due_ms=due))
    assert store.next_due_ms() == 100
    assert store.claim(50, 1000) is None
    first = store.claim(250, 1000)
    assert first is not None and first.id == "msg_1" and first.sealed
    assert not store.append_open("sub", make_spike(spike_id="late")) or (
        "late" not in store.delivery("msg_1").spike_ids
    )
    second = store.claim(250, 1000)
    assert second is not None and second.id == "msg_2"
    assert store.claim(250, 1000) is None  # msg_0 is not due; the others are held
    first.tries, first.due_ms, first.lease_ms = 1, 400, 0
    store.finish(
        first,
        Attempt(
            delivery_id="msg_1",
            sub_id="sub",
            n=1,
            at_ms=250,
            outcome="retry",
            status=500,
            excerpt="boom",
        ),
    )
    assert store.claim(1100, 1000) is not None  # msg_2's lease lapsed (its holder died)
    assert [a.excerpt for a in store.attempts("msg_1")] == ["boom"]
    assert [d.id for d in store.deliveries("sub", limit=2)] == ["msg_2", "msg_1"]


@pytest.fixture
def mongo_backend(mongo_uri: str) -> Iterator[MongoSettings]:
    settings = MongoSettings(uri=mongo_uri, database=f"alerts_{uuid.uuid4().hex[:10]}")
    yield settings
    from pymongo import MongoClient

    with MongoClient(mongo_uri) as client:
        client.drop_database(settings.database)


@pytest.mark.services
def test_the_dispatcher_over_ferretdb_retries_resumes_and_delivers_once_with_two_workers(
    mongo_backend: MongoSettings,
) -> None:
    clock = Clock()
    with receiver(lambda i, r: Reply(500 if i == 0 else 200, delay_s=0.02)) as rx:
        a = open_alerts("mongo", mongo=mongo_backend)
        sub, secret = admin.add(a, rx.url, settings=alert_settings())
        da = Dispatcher(a, alert_settings(group_window_s=0), clock=clock)
        spikes = [make_spike(f"hashtag:m{i}") for i in range(8)]
        da.offer(spikes[:1])
        da.run_due()  # 500: the first delivery waits 5 s
        da.close()
        a.close()  # a restart of the worker

        b1 = open_alerts("mongo", mongo=mongo_backend)
        b2 = open_alerts("mongo", mongo=mongo_backend)
        d1 = Dispatcher(b1, alert_settings(group_window_s=0), clock=clock)
        d2 = Dispatcher(b2, alert_settings(group_window_s=0), clock=clock)
        d1.offer(spikes)  # the first again (a replay), and seven new
        d2.offer(spikes[4:])  # another worker got some of them too
        clock.advance(5)
        threads = [threading.Thread(target=d.run_due) for d in (d1, d2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        deliveries = b1.deliveries(sub.id)
        for d, s in ((d1, b1), (d2, b2)):
            d.close()
            s.close()
    sent = [
        s["spike_id"]
        for r in rx.requests[1:]
        for s in Webhook(secret).verify(r.body, r.headers)["data"]["spikes"]
    ]
    assert sorted(sent) == sorted(s.spike_id for s in spikes)
    ids = [r.headers["webhook-id"] for r in rx.requests]
    assert ids[0] in ids[1:] and len(ids[1:]) == len(set(ids[1:]))
    assert all(d.status == "delivered" for d in deliveries)
    assert sorted(x for d in deliveries for x in d.spike_ids) == sorted(s.spike_id for s in spikes)


def test_concurrent_claims_take_each_delivery_once(backend: tuple[str, object]) -> None:
    stores = [open_store(backend) for _ in range(4)]
    for i in range(30):
        stores[0].create_delivery(one(f"msg_{i:02}", f"s{i}", created_ms=i, due_ms=i))
    taken: list[list[str]] = [[] for _ in stores]

    def work(k: int) -> None:
        while (d := stores[k].claim(10_000, 60_000)) is not None:
            taken[k].append(d.id)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    every = [x for t in taken for x in t]
    assert sorted(every) == [f"msg_{i:02}" for i in range(30)]  # each once, none left


def raw_store(backend: tuple[str, object]) -> bytes:
    """Every byte the backend keeps for the alert store, as an attacker with a copy sees it."""
    kind, where = backend
    if kind == "sqlite":
        assert isinstance(where, Path)
        return b"".join(p.read_bytes() for p in sorted(where.glob("alerts.sqlite3*")))
    assert isinstance(where, MongoSettings)
    from pymongo import MongoClient

    with MongoClient(where.uri.get_secret_value()) as client:
        db = client[where.database]
        return repr(
            [list(db[name].find({})) for name in sorted(db.list_collection_names())]
        ).encode()


def test_the_raw_store_holds_no_secret_and_no_slack_or_discord_url(
    backend: tuple[str, object], store: AlertStore
) -> None:
    hook, secret = admin.add(store, "https://receiver.example/h?token=tok_webhook_query_42")
    slack_url = "https://hooks.slack.com/services/T0001/B0002/slackcredential42"
    discord_url = "https://discord.com/api/webhooks/123/discordcredential42"
    admin.add(store, slack_url, fmt="slack")
    admin.add(store, discord_url, fmt="discord")
    rotated, new_secret = admin.update(store, hook.id, rotate_secret=True)
    assert rotated.old_secret == secret
    # The store opens what it sealed.
    assert store.subscription(hook.id).secret == new_secret
    assert {s.target for s in store.subscriptions()} >= {slack_url, discord_url}
    raw = raw_store(backend)
    assert b"sealed:v1:" in raw  # the records are there, sealed
    for plain in (secret, new_secret, "slackcredential42", "discordcredential42", "tok_webhook"):
        assert plain.encode() not in raw, plain
