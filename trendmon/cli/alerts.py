"""``trendmon alerts``: spike alert subscriptions, their delivery log, redelivery by hand.

Each command opens the alert store (SQLite under TRENDMON_HOME, or MongoDB with --mongo), calls one
library function (:mod:`trendmon.sinks.webhooks.admin`, :class:`~trendmon.sinks.webhooks.delivery.
Dispatcher`) and prints data as JSON (Lines) on stdout. Secrets are printed once, by ``add`` and
``update --rotate-secret``, and never again. """

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from trendmon.alerts.records import Delivery, to_doc
from trendmon.alerts.schedule import parse_wait
from trendmon.alerts.subscriptions import public_view
from trendmon.cli.common import (
    HomeOption,
    StoreMongoOption,
    checked,
    err,
    opened_store,
    parse_time_ms,
    print_json,
    print_jsonl,
)
from trendmon.errors import TrendmonError
from trendmon.events import utc
from trendmon.settings import AlertSettings, load
from trendmon.sinks.alerts import AlertStore
from trendmon.sinks.factory import open_alerts
from trendmon.sinks.webhooks import admin
from trendmon.sinks.webhooks.delivery import Dispatcher

KindOption = Annotated[
    list[str] | None,
    typer.Option(
        "--kind",
        help="Entity kind to alert on (hashtag, sound, creator, effect); "
        "repeat for several; none: all.",
    ),
]
EntityOption = Annotated[
    list[str] | None,
    typer.Option(
        "--entity",
        help="Entity to alert on: #tag, @creator, sound id or a key like "
        "hashtag:dance; repeat for several; none: all.",
    ),
]
MarketOption = Annotated[
    list[str] | None,
    typer.Option("--market", help="Market (US, GB, ... or all); repeat for several; none: all."),
]
SeverityOption = Annotated[
    str | None, typer.Option("--min-severity", help="notable, major or extreme.")
]
CooldownOption = Annotated[
    str | None,
    typer.Option("--cooldown", help="Quiet time per entity after an alert (90s, 30m, 2h)."),
]


def _seconds(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(parse_wait(text))
    except TrendmonError:
        raise typer.BadParameter(
            f"{text!r} is not a duration; give 90s, 30m or 2h", param_hint="--cooldown"
        ) from None


def _iso(ms: int) -> str | None:
    return utc(ms / 1000).strftime("%Y-%m-%dT%H:%M:%SZ") if ms else None


def delivery_record(d: Delivery) -> dict[str, Any]:
    """A delivery as the log prints it (no body: it may be large; no secrets in it anyway)."""
    return {
        "id": d.id,
        "subscription": d.sub_id,
        "status": d.status,
        "spikes": d.spike_ids,
        "attempts": d.attempts,
        "last_result": d.last_result,
        "queued_at": _iso(d.created_ms),
        "next_attempt_at": _iso(d.due_ms) if d.status == "pending" else None,
        "done_at": _iso(d.done_ms),
    }


ADD_HELP = """Subscribe a receiver to spikes; prints the subscription and, for a webhook, its
signing secret (shown this once: keep it).

Example:

    trendmon alerts add https://example.com/hooks/trendmon --kind hashtag --market US
    trendmon alerts add https://hooks.slack.com/services/T0/B0/XXXX --format slack
"""


def register(app: typer.Typer) -> None:
    """Add the command group to the app."""
    group = typer.Typer(
        name="alerts",
        help="Spike alerts: subscriptions, delivery log, redelivery (JSON on stdout).",
        no_args_is_help=True,
    )
    app.add_typer(group)

    @group.command(name="add", help=ADD_HELP)
    def add_cmd(
        target: Annotated[str, typer.Argument(help="The receiver's URL (https).")],
        fmt: Annotated[
            str, typer.Option("--format", help="webhook (signed JSON), slack or discord.")
        ] = "webhook",
        kind: KindOption = None,
        entity: EntityOption = None,
        market: MarketOption = None,
        min_severity: SeverityOption = None,
        cooldown: CooldownOption = None,
        note: Annotated[str, typer.Option("--note", help="A note for people.")] = "",
        mongo: StoreMongoOption = False,
        home: HomeOption = None,
    ) -> None:
        settings = checked(lambda: load(AlertSettings))
        with opened_store(open_alerts, mongo, home) as store:
            sub, secret = checked(
                lambda: admin.add(
                    store,
                    target,
                    fmt=fmt,  # type: ignore[arg-type]  # validated by admin.add
                    kinds=kind or [],
                    entities=entity or [],
                    markets=market or [],
                    min_severity=(min_severity or "notable"),  # type: ignore[arg-type]
                    cooldown_s=_seconds(cooldown),
                    note=note,
                    settings=settings,
                )
            )
        out = public_view(sub)
        if secret:
            out["secret"] = secret
            err.print("the secret is shown this once; receivers verify signatures with it")
        print_json(out)

    @group.command(name="list")
    def list_cmd(mongo: StoreMongoOption = False, home: HomeOption = None) -> None:
        """Print every subscription as JSON Lines (state, filters; no secrets).

        Example: trendmon alerts list | jq -r 'select(.state != "active") | .id + " " + .disabled'
        """
        with opened_store(open_alerts, mongo, home) as store:
            for sub in checked(store.subscriptions):
                print_jsonl(public_view(sub))

    @group.command(name="update")
    def update_cmd(
        sub_id: Annotated[str, typer.Argument(help="Subscription id (sub_...).")],
        target: Annotated[str | None, typer.Option("--target", help="New URL.")] = None,
        kind: KindOption = None,
        entity: EntityOption = None,
        market: MarketOption = None,
        min_severity: SeverityOption = None,
        cooldown: CooldownOption = None,
        note: Annotated[str | None, typer.Option("--note", help="A note for people.")] = None,
        rotate_secret: Annotated[
            bool,
            typer.Option("--rotate-secret", help="New secret; the old one stays valid a day."),
        ] = False,
        mongo: StoreMongoOption = False,
        home: HomeOption = None,
    ) -> None:
        """Change a subscription: what is given replaces what it had.

        Example: trendmon alerts update sub_0123 --market US --market GB --rotate-secret
        """
        settings = checked(lambda: load(AlertSettings))
        with opened_store(open_alerts, mongo, home) as store:
            sub, secret = checked(
                lambda: admin.update(
                    store,
                    sub_id,
                    target=target,
                    kinds=kind,
                    entities=entity,
                    markets=market,
                    min_severity=min_severity,  # type: ignore[arg-type]
                    cooldown_s=_seconds(cooldown),
                    note=note,
                    rotate_secret=rotate_secret,
                    settings=settings,
                )
            )
        out = public_view(sub)
        if secret:
            out["secret"] = secret
            err.print("the new secret is shown this once; the old one is valid for a day")
        print_json(out)

    def _simple(name: str, action: Callable[[AlertStore, str], object], doc: str) -> None:
        def cmd(
            sub_id: Annotated[str, typer.Argument(help="Subscription id (sub_...).")],
            mongo: StoreMongoOption = False,
            home: HomeOption = None,
        ) -> None:
            with opened_store(open_alerts, mongo, home) as store:
                checked(lambda: action(store, sub_id))
                if name != "remove":
                    print_json(public_view(checked(lambda: store.subscription(sub_id))))
                else:
                    print_json({"removed": sub_id})

        cmd.__doc__ = doc
        group.command(name=name)(cmd)

    _simple(
        "remove",
        admin.remove,
        "Delete a subscription (its log stays).\n\nExample: trendmon alerts remove sub_0123",
    )
    _simple(
        "pause",
        admin.pause,
        "Stop alerting a subscription; pending deliveries wait.\n\n"
        "Example: trendmon alerts pause sub_0123",
    )
    _simple(
        "resume",
        admin.resume,
        "Alert again after a pause, a 410 or days of failures.\n\n"
        "Example: trendmon alerts resume sub_0123",
    )

    @group.command(name="test")
    def test_cmd(
        sub_id: Annotated[str, typer.Argument(help="Subscription id (sub_...).")],
        mongo: StoreMongoOption = False,
        home: HomeOption = None,
    ) -> None:
        """Send a test alert now (signed like the real ones); print the attempt; exit 1 if the
        receiver did not take it.

        Example: trendmon alerts test sub_0123
        """
        with opened_store(open_alerts, mongo, home) as store:
            dispatcher = Dispatcher(store, checked(lambda: load(AlertSettings)))
            try:
                attempt = checked(lambda: dispatcher.test(sub_id))
            finally:
                dispatcher.close()
        print_json(to_doc(attempt))
        if attempt.outcome != "delivered":
            raise typer.Exit(1)

    @group.command(name="log")
    def log_cmd(
        sub_id: Annotated[
            str | None, typer.Argument(help="Subscription id; none: every subscription.")
        ] = None,
        delivery: Annotated[
            str | None, typer.Option("--delivery", help="Print this delivery's attempts.")
        ] = None,
        status: Annotated[
            str | None,
            typer.Option("--status", help="pending, delivered, failed, gone or cancelled."),
        ] = None,
        since: Annotated[str | None, typer.Option("--since", help="Queued at or after.")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="Most lines.")] = 100,
        mongo: StoreMongoOption = False,
        home: HomeOption = None,
    ) -> None:
        """Print deliveries, newest first (JSON Lines), or one delivery's attempts (status,
        latency, the start of the receiver's answer).

        Example: trendmon alerts log sub_0123 --status failed
        """
        since_ms = parse_time_ms(since, "--since")
        with opened_store(open_alerts, mongo, home) as store:
            if delivery is not None:
                checked(lambda: store.delivery(delivery))
                for attempt in reversed(checked(lambda: store.attempts(delivery, limit=limit))):
                    print_jsonl({**to_doc(attempt), "at": _iso(attempt.at_ms)})
                return
            found = checked(
                lambda: store.deliveries(sub_id, status, since_ms, limit)  # type: ignore[arg-type]
            )
            for d in found:
                print_jsonl(delivery_record(d))

    @group.command(name="redeliver")
    def redeliver_cmd(
        delivery_id: Annotated[str, typer.Argument(help="Delivery id (msg_...).")],
        mongo: StoreMongoOption = False,
        home: HomeOption = None,
    ) -> None:
        """Send one delivery again now, under the same webhook-id, with a fresh schedule.

        Example: trendmon alerts redeliver msg_0123456789abcdef
        """
        with opened_store(open_alerts, mongo, home) as store:
            dispatcher = Dispatcher(store, checked(lambda: load(AlertSettings)))
            try:
                checked(lambda: dispatcher.redeliver(delivery_id))
                checked(dispatcher.run_due)
            finally:
                dispatcher.close()
            print_jsonl(delivery_record(checked(lambda: store.delivery(delivery_id))))

    @group.command(name="recover")
    def recover_cmd(
        since: Annotated[str, typer.Option("--since", help="Queued at or after (ISO 8601).")],
        sub_id: Annotated[
            str | None, typer.Option("--subscription", help="Only this subscription's.")
        ] = None,
        mongo: StoreMongoOption = False,
        home: HomeOption = None,
    ) -> None:
        """Send again every delivery queued since a time that did not get through (failed,
        gone, cancelled), each under its own webhook-id; print them after the attempt.

        Example: trendmon alerts recover --since 2026-01-05T00:00:00Z
        """
        since_ms = parse_time_ms(since, "--since")
        assert since_ms is not None
        with opened_store(open_alerts, mongo, home) as store:
            dispatcher = Dispatcher(store, checked(lambda: load(AlertSettings)))
            try:
                queued = checked(lambda: dispatcher.recover(since_ms, sub_id))
                checked(dispatcher.run_due)
            finally:
                dispatcher.close()
            for d in queued:
                print_jsonl(delivery_record(store.delivery(d.id)))
