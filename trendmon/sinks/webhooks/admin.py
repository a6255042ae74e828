"""What a person does to subscriptions, as Python calls: the command line and the admin page
each call one of these and turn their errors into a message.

>>> sub, secret = add(store, "https://example.com/hook", kinds=["hashtag"])  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import msgspec

from trendmon.alerts.signing import generate_secret
from trendmon.alerts.subscriptions import Format, Severity, Subscription, new_id, validate
from trendmon.settings import AlertSettings
from trendmon.sinks.alerts import AlertStore


def _now_ms() -> int:
    return int(time.time() * 1000)


def add(
    store: AlertStore,
    target: str,
    *,
    fmt: Format = "webhook",
    kinds: Sequence[str] = (),
    entities: Sequence[str] = (),
    markets: Sequence[str] = (),
    min_severity: Severity = "notable",
    cooldown_s: int | None = None,
    note: str = "",
    settings: AlertSettings | None = None,
) -> tuple[Subscription, str]:
    """Create a subscription; return it and its secret (shown once; empty for Slack and
    Discord, whose URL is their secret). SubscriptionError names a bad field."""
    s = settings or AlertSettings()
    secret = generate_secret() if fmt == "webhook" else ""
    sub = validate(
        Subscription(
            id=new_id(),
            target=target,
            format=fmt,
            kinds=list(kinds),
            entities=list(entities),
            markets=list(markets),
            min_severity=min_severity,
            cooldown_s=s.cooldown_s if cooldown_s is None else cooldown_s,
            secret=secret,
            created_ms=_now_ms(),
            note=note[:200],
        ),
        allow_http=s.allow_http,
    )
    store.add_subscription(sub)
    return sub, secret


def update(
    store: AlertStore,
    sub_id: str,
    *,
    target: str | None = None,
    kinds: Sequence[str] | None = None,
    entities: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    min_severity: Severity | None = None,
    cooldown_s: int | None = None,
    note: str | None = None,
    rotate_secret: bool = False,
    settings: AlertSettings | None = None,
) -> tuple[Subscription, str]:
    """Change what is given; with ``rotate_secret`` a new secret is made (returned, shown
    once) and the old one stays valid for ``rotation_grace_s``. Returns the subscription and
    the new secret (empty without a rotation)."""
    s = settings or AlertSettings()
    sub = store.subscription(sub_id)
    changes: dict[str, object] = {
        k: list(v) if isinstance(v, (list, tuple)) else v
        for k, v in {
            "target": target,
            "kinds": kinds,
            "entities": entities,
            "markets": markets,
            "min_severity": min_severity,
            "cooldown_s": cooldown_s,
            "note": note,
        }.items()
        if v is not None
    }
    secret = ""
    if rotate_secret and sub.format == "webhook":
        secret = generate_secret()
        changes.update(
            secret=secret,
            old_secret=sub.secret,
            old_secret_until_ms=_now_ms() + s.rotation_grace_s * 1000,
        )
    new = validate(msgspec.structs.replace(sub, **changes), allow_http=s.allow_http)
    store.save_subscription(new)
    return new, secret


def pause(store: AlertStore, sub_id: str) -> Subscription:
    """Stop queueing and sending for a subscription; pending deliveries wait."""
    sub = msgspec.structs.replace(store.subscription(sub_id), enabled=False)
    store.save_subscription(sub)
    return sub


def resume(store: AlertStore, sub_id: str) -> Subscription:
    """Deliver again: undoes a pause, and a disabling by trendmon (410, failing for days)."""
    sub = msgspec.structs.replace(
        store.subscription(sub_id), enabled=True, disabled="", failing_since_ms=0
    )
    store.save_subscription(sub)
    return sub


def remove(store: AlertStore, sub_id: str) -> None:
    """Delete a subscription; its pending deliveries are cancelled when they come due."""
    store.remove_subscription(sub_id)
