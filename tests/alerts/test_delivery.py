"""Deliveries to real HTTP receivers on this machine, verified with the ``standardwebhooks``
package: each receiver of the issue ends in its documented outcome, nothing is lost, and no
spike goes out under two ids. The schedule runs on a hand-moved clock; the HTTP is real."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import orjson
import pytest
from standardwebhooks.webhooks import Webhook

from trendmon.alerts.records import Delivery
from trendmon.sinks.factory import open_alerts
from trendmon.sinks.sqlite.alerts import SqliteAlerts
from trendmon.sinks.webhooks import admin
from trendmon.sinks.webhooks.delivery import Dispatcher

from .conftest import alert_settings, make_spike
from .receivers import Clock, Received, Reply, receiver


def verified(secret: str, got: Received) -> dict[str, object]:
    """The body, verified by the Standard Webhooks reference library (raises if not)."""
    doc = Webhook(secret).verify(got.body, got.headers)
    assert isinstance(doc, dict)
    return doc


def spike_ids(doc: dict[str, object]) -> list[str]:
    data = doc["data"]
    assert isinstance(data, dict)
    return [s["spike_id"] for s in data["spikes"]]


def dispatcher(store: SqliteAlerts, clock: Clock, **settings: object) -> Dispatcher:
    return Dispatcher(store, alert_settings(**settings), clock=clock)


def test_a_spike_reaches_a_webhook_signed_versioned_and_complete(
    store: SqliteAlerts, clock: Clock
) -> None:
    with receiver() as rx:
        sub, secret = admin.add(store, rx.url, kinds=["hashtag"], settings=alert_settings())
        d = dispatcher(store, clock)
        spike = make_spike("hashtag:dance")
        assert d.offer([spike, make_spike("sound:s1")]) == 1  # the sound is filtered out
        assert d.run_due() == 1
        d.close()
    assert len(rx.requests) == 1
    got = rx.requests[0]
    doc = verified(secret, got)
    assert doc["type"] == "trendmon.spikes" and doc["v"] == 1
    assert got.headers["webhook-id"] == doc["id"]
    record = doc["data"]["spikes"][0]  # type: ignore[index]
    assert record["entity"] == "hashtag:dance" and record["market"] == "US"
    assert record["severity"] == "major" and record["ratio"] == 6.0
    assert record["plays_per_hour"] == 9000.0 and "12 creators" in record["summary"]
    assert record["window"]["seconds"] == 2700
    assert record["link"] == "http://127.0.0.1:8050/hashtag/dance?market=US"
    assert len(got.body) < 20_000
    [delivery] = store.deliveries(sub.id)
    assert delivery.status == "delivered"
    [attempt] = store.attempts(delivery.id)
    assert attempt.status == 200 and attempt.outcome == "delivered" and attempt.excerpt == "ok"


def test_a_receiver_failing_the_first_attempts_gets_it_on_the_schedule_under_one_id(
    store: SqliteAlerts, clock: Clock
) -> None:
    with receiver(lambda i, r: Reply(500 if i < 2 else 204, body=b"boom" if i < 2 else b"")) as rx:
        sub, secret = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock)
        d.offer([make_spike()])
        assert d.run_due() == 1  # 500
        clock.advance(4.9)
        assert d.run_due() == 0  # not due before 5 s
        clock.advance(0.2)
        assert d.run_due() == 1  # 500
        clock.advance(299)
        assert d.run_due() == 0
        clock.advance(2)
        assert d.run_due() == 1  # 204
        d.close()
    assert len(rx.requests) == 3
    docs = [verified(secret, r) for r in rx.requests]
    assert len({r.headers["webhook-id"] for r in rx.requests}) == 1
    assert len({r.body for r in rx.requests}) == 1  # every retry sends the same bytes
    assert all(spike_ids(doc) == spike_ids(docs[0]) for doc in docs)
    [delivery] = store.deliveries(sub.id)
    assert delivery.status == "delivered" and delivery.attempts == 3
    outcomes = [a.outcome for a in reversed(store.attempts(delivery.id))]
    assert outcomes == ["retry", "retry", "delivered"]
    assert [a.excerpt for a in reversed(store.attempts(delivery.id))][:2] == ["boom", "boom"]


def test_a_receiver_slower_than_the_timeout_counts_as_a_failure_then_gets_it(
    store: SqliteAlerts, clock: Clock
) -> None:
    with receiver(lambda i, r: Reply(200, delay_s=1.5 if i == 0 else 0)) as rx:
        sub, secret = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock, timeout_s=0.4)
        d.offer([make_spike()])
        d.run_due()
        [first] = store.attempts(sub_id=sub.id)
        assert first.outcome == "retry" and first.status == 0
        assert "no answer within 0.4 s" in first.error
        clock.advance(5)
        d.run_due()
        d.close()
    assert store.deliveries(sub.id)[0].status == "delivered"
    assert len({r.headers["webhook-id"] for r in rx.requests}) == 1
    verified(secret, rx.requests[-1])


def test_a_receiver_answering_500_until_it_recovers_and_a_schedule_that_runs_out(
    store: SqliteAlerts, clock: Clock
) -> None:
    recovered = threading.Event()
    with receiver(lambda i, r: Reply(200 if recovered.is_set() else 500)) as rx:
        sub, _ = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock, schedule="5s,1m")
        d.offer([make_spike("hashtag:one")])
        for wait in (0, 5, 60):
            clock.advance(wait)
            assert d.run_due() == 1
        [lost] = store.deliveries(sub.id)
        assert lost.status == "failed" and lost.attempts == 3  # the schedule ran out
        d.offer([make_spike("hashtag:two")])
        clock.advance(31)
        d.run_due()
        clock.advance(5)
        recovered.set()
        d.run_due()
        d.close()
    two = next(x for x in store.deliveries(sub.id) if x.id != lost.id)
    assert two.status == "delivered" and two.attempts == 2


def test_429_with_retry_after_is_honoured(store: SqliteAlerts, clock: Clock) -> None:
    replies = [Reply(429, {"Retry-After": "120"}), Reply(503, {"Retry-After": "1"}), Reply(200)]
    with receiver(lambda i, r: replies[i]) as rx:
        sub, secret = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock)
        d.offer([make_spike()])
        d.run_due()
        clock.advance(60)  # the schedule's 5 s are long past, Retry-After's 120 s are not
        assert d.run_due() == 0
        clock.advance(61)
        assert d.run_due() == 1  # 503, Retry-After: 1
        clock.advance(1)
        assert d.run_due() == 1
        d.close()
    assert [r.headers["webhook-id"] for r in rx.requests].count(
        rx.requests[0].headers["webhook-id"]
    ) == 3
    assert store.deliveries(sub.id)[0].status == "delivered"
    verified(secret, rx.requests[-1])


def test_a_redirect_is_a_failure_and_is_never_followed(store: SqliteAlerts, clock: Clock) -> None:
    with (
        receiver() as inside,
        receiver(
            lambda i, r: (
                Reply(307, {"Location": "http://169.254.169.254/latest/meta-data/"})
                if i == 0
                else Reply(302, {"Location": inside.url})
            )
        ) as rx,
    ):
        sub, _ = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock)
        d.offer([make_spike()])
        d.run_due()
        clock.advance(5)
        d.run_due()
        d.close()
        assert inside.requests == []  # not even to an allowed address
    assert len(rx.requests) == 2
    attempts = store.attempts(sub_id=sub.id)
    assert [a.status for a in reversed(attempts)] == [307, 302]
    assert all(a.outcome == "retry" for a in attempts)
    assert store.deliveries(sub.id)[0].status == "pending"


def test_410_gone_disables_the_subscription(store: SqliteAlerts, clock: Clock) -> None:
    with receiver(lambda i, r: Reply(410, body=b"no such hook")) as rx:
        sub, _ = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock)
        d.offer([make_spike()])
        d.run_due()
        assert store.deliveries(sub.id)[0].status == "gone"
        after = store.subscription(sub.id)
        assert after.state == "disabled" and "410 Gone" in after.disabled
        assert d.offer([make_spike("hashtag:other")]) == 0
        clock.advance(3600)
        assert d.run_due() == 0
        d.close()
    assert len(rx.requests) == 1


def test_a_restart_in_the_middle_of_a_schedule_resumes_it(home: Path, clock: Clock) -> None:
    with receiver(lambda i, r: Reply(500 if i < 2 else 200)) as rx:
        first = open_alerts("sqlite", home=home)
        sub, secret = admin.add(first, rx.url, settings=alert_settings())
        d = dispatcher(first, clock)
        d.offer([make_spike(spike_id="sp-restart")])
        d.run_due()
        clock.advance(5)
        d.run_due()
        d.close()
        first.close()  # the process goes away, two attempts into the schedule

        second = open_alerts("sqlite", home=home)
        d = dispatcher(second, clock)
        assert d.offer([make_spike(spike_id="sp-restart")]) == 0  # replayed: already there
        assert d.run_due() == 0  # the 5 min wait is remembered
        clock.advance(300)
        assert d.run_due() == 1
        d.close()
        [delivery] = second.deliveries(sub.id)
        second.close()
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert len({r.headers["webhook-id"] for r in rx.requests}) == 1
    assert spike_ids(verified(secret, rx.requests[-1])) == ["sp-restart"]


def test_a_receiver_down_for_ten_minutes_gets_everything_once(
    store: SqliteAlerts, clock: Clock
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"  # nothing listens there for now
    sub, secret = admin.add(store, url, settings=alert_settings())
    d = dispatcher(store, clock)
    sent = [make_spike(f"hashtag:t{i}", minute=i) for i in range(5)]
    d.offer(sent[:2])
    d.run_due()
    for minute in range(1, 11):  # ten minutes down; a spike now and then
        clock.advance(60)
        if minute in (3, 7, 9):
            d.offer([sent[2 + (minute > 3) + (minute > 7)]])
        d.run_due()
    refused = store.attempts(sub_id=sub.id, limit=1000)
    assert refused and all(a.status == 0 and a.outcome == "retry" for a in refused)
    with receiver(port=port) as rx:
        clock.advance(2 * 3600)
        d.run_due()
        d.close()
    delivered = [s for r in rx.requests for s in spike_ids(verified(secret, r))]
    assert sorted(delivered) == sorted(s.spike_id for s in sent)  # each once, none lost
    ids = [r.headers["webhook-id"] for r in rx.requests]
    assert len(ids) == len(set(ids))
    assert all(x.status == "delivered" for x in store.deliveries(sub.id))


def test_spikes_within_the_window_go_out_together_and_the_cooldown_holds(
    store: SqliteAlerts, clock: Clock
) -> None:
    with receiver() as rx:
        _sub, secret = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock)
        d.offer([make_spike(f"hashtag:g{i}") for i in range(3)])
        d.run_due()  # the first message lists the three
        clock.advance(10)
        d.offer([make_spike("hashtag:g3"), make_spike("sound:s9")])
        clock.advance(10)
        d.offer([make_spike("creator:c7")])
        assert d.run_due() == 0  # held to the end of the window
        clock.advance(10)
        assert d.run_due() == 1
        # the same entity again, 30 min later in event time: within its cooldown
        assert d.offer([make_spike("hashtag:g0", minute=30)]) == 0
        assert d.offer([make_spike("hashtag:g0", minute=61)]) == 1
        d.close()
    docs = [verified(secret, r) for r in rx.requests]
    assert [len(spike_ids(doc)) for doc in docs] == [3, 3]
    reopened = open_alerts("sqlite", home=store.path.parent)
    d2 = dispatcher(reopened, clock)
    assert d2.offer([make_spike("hashtag:g1", minute=20)]) == 0  # held across a restart
    d2.close()
    reopened.close()


def test_many_spikes_in_one_message_stay_under_20_kb(store: SqliteAlerts, clock: Clock) -> None:
    with receiver() as rx:
        _, secret = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock)
        d.offer([make_spike(f"hashtag:x{i}") for i in range(200)])
        d.run_due()
        d.close()
    doc = verified(secret, rx.requests[0])
    assert len(rx.requests[0].body) <= 20_000
    data = doc["data"]
    assert isinstance(data, dict)
    assert data["more"] > 0 and len(data["spikes"]) + data["more"] == 200


def test_a_subscription_failing_for_days_is_disabled(store: SqliteAlerts, clock: Clock) -> None:
    sub, _ = admin.add(store, "http://127.0.0.1:9/hook", settings=alert_settings())  # closed
    d = dispatcher(store, clock, schedule="1h,1h,1h,1h,1h,1h", disable_after_s=3 * 3600)
    d.offer([make_spike()])
    for _ in range(4):
        d.run_due()
        clock.advance(3601)
    after = store.subscription(sub.id)
    assert after.state == "disabled" and "every delivery failed" in after.disabled
    d.close()


def test_a_rotated_secret_signs_with_both_for_the_grace_period(
    store: SqliteAlerts, clock: Clock
) -> None:
    with receiver() as rx:
        sub, old = admin.add(store, rx.url, settings=alert_settings())
        _, new = admin.update(store, sub.id, rotate_secret=True, settings=alert_settings())
        d = dispatcher(store, clock)
        d.offer([make_spike()])
        d.run_due()
        d.close()
    got = rx.requests[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    verified(old, got)
    verified(new, got)
    assert old != new


def test_redeliver_and_recover_send_again_under_the_same_id(
    store: SqliteAlerts, clock: Clock
) -> None:
    with receiver(lambda i, r: Reply(500 if i < 2 else 200)) as rx:
        sub, secret = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock, schedule="")  # one attempt only
        d.offer([make_spike("hashtag:a")])
        d.run_due()
        clock.advance(31)
        d.offer([make_spike("hashtag:b")])
        d.run_due()
        failed = store.deliveries(sub.id, "failed")
        assert len(failed) == 2
        d.redeliver(failed[-1].id)
        d.run_due()
        assert store.delivery(failed[-1].id).status == "delivered"
        recovered = d.recover(since_ms=0)
        assert [x.id for x in recovered] == [failed[0].id]
        d.run_due()
        d.close()
    assert all(x.status == "delivered" for x in store.deliveries(sub.id))
    assert [r.headers["webhook-id"] for r in rx.requests] == [
        failed[1].id,
        failed[0].id,
        failed[1].id,
        failed[0].id,
    ]
    for r in rx.requests:
        verified(secret, r)


def test_two_dispatchers_on_one_store_send_each_delivery_once(home: Path, clock: Clock) -> None:
    with receiver(lambda i, r: Reply(200, delay_s=0.05)) as rx:
        a, b = open_alerts("sqlite", home=home), open_alerts("sqlite", home=home)
        _sub, secret = admin.add(a, rx.url, settings=alert_settings())
        da, db = dispatcher(a, clock, group_window_s=0), dispatcher(b, clock, group_window_s=0)
        spikes = [make_spike(f"hashtag:w{i}") for i in range(12)]
        da.offer(spikes)
        db.offer(spikes)  # both workers saw them (a replay): queued once
        threads = [threading.Thread(target=x.run_due) for x in (da, db)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        da.close()
        db.close()
        a.close()
        b.close()
    sent = [s for r in rx.requests for s in spike_ids(verified(secret, r))]
    assert sorted(sent) == sorted(s.spike_id for s in spikes)
    assert len(rx.requests) == len({r.headers["webhook-id"] for r in rx.requests})


def test_slack_and_discord_receivers_get_their_own_shapes(
    store: SqliteAlerts, clock: Clock
) -> None:
    with receiver() as slack_rx, receiver(lambda i, r: Reply(200, body=b'{"id": "1"}')) as dc:
        admin.add(store, slack_rx.url, fmt="slack", settings=alert_settings())
        admin.add(store, dc.url + "?thread_id=5", fmt="discord", settings=alert_settings())
        d = dispatcher(store, clock)
        d.offer([make_spike("hashtag:dance"), make_spike("creator:maria", market="GB")])
        d.run_due()
        d.close()
    slack = orjson.loads(slack_rx.requests[0].body)
    assert "#dance" in slack["text"] and "@maria" in slack["text"]
    sections = [b for b in slack["blocks"] if b["type"] == "section"]
    assert len(sections) == 2
    assert "<http://127.0.0.1:8050/hashtag/dance?market=US|#dance>" in sections[0]["text"]["text"]
    assert "webhook-signature" not in slack_rx.requests[0].headers
    got = dc.requests[0]
    assert got.path == "/hook?thread_id=5&wait=true"
    discord = orjson.loads(got.body)
    assert discord["content"] == "2 spikes"
    assert [e["title"] for e in discord["embeds"]] == ["#dance", "@maria"]
    assert discord["embeds"][1]["url"] == "http://127.0.0.1:8050/creator/maria?market=GB"
    assert discord["allowed_mentions"] == {"parse": []}


def test_a_test_message_is_sent_signed_and_logged(store: SqliteAlerts, clock: Clock) -> None:
    with receiver() as rx:
        sub, secret = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock)
        attempt = d.test(sub.id)
        d.close()
    assert attempt.outcome == "delivered" and attempt.status == 200
    assert verified(secret, rx.requests[0])["type"] == "trendmon.test"
    assert store.attempts(sub_id=sub.id)[0].delivery_id == attempt.delivery_id


@pytest.mark.parametrize("status", ["paused", "removed"])
def test_pending_deliveries_wait_while_paused_and_are_cancelled_when_removed(
    store: SqliteAlerts, clock: Clock, status: str
) -> None:
    with receiver() as rx:
        sub, _ = admin.add(store, rx.url, settings=alert_settings())
        d = dispatcher(store, clock)
        d.offer([make_spike()])
        if status == "paused":
            admin.pause(store, sub.id)
        else:
            admin.remove(store, sub.id)
        d.run_due()
        assert rx.requests == []
        [delivery] = store.deliveries(sub.id)
        if status == "paused":
            assert delivery.status == "pending"
            admin.resume(store, sub.id)
            clock.advance(61)
            d.run_due()
            assert len(rx.requests) == 1
        else:
            assert delivery.status == "cancelled"
        d.close()


def test_the_store_keeps_a_delivery_whole(store: SqliteAlerts) -> None:
    d = Delivery(id="msg_x", sub_id="sub_x", spike_ids=["a"], spikes=[make_spike(spike_id="a")])
    assert store.create_delivery(d) and not store.create_delivery(d)
    assert store.delivery("msg_x") == d
