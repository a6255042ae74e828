"""Subscriptions: who gets which spikes, where, in which format; validated on the way in.

A subscription has a target URL, filters (entity kinds, entity names or ids, markets, a minimum
severity: an empty filter lets everything through), a per-entity cooldown, a state (``enabled``
false: paused by a person; ``disabled`` non-empty: stopped by trendmon, with the reason) and a
format (``webhook``, ``slack``, ``discord``). A webhook subscription has a ``whsec_`` secret,
generated on creation; rotating it keeps the previous one valid for a grace period, during which
both signatures are sent.

Secrets, and Slack and Discord URLs (their path is their credential), are never shown again
once created: :func:`public_view` is what the command line and the dashboard print.
"""

from __future__ import annotations

import secrets as _secrets
from collections.abc import Iterable
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import msgspec

from trendmon.errors import SubscriptionError
from trendmon.events import Spike

Format = Literal["webhook", "slack", "discord"]
Severity = Literal["notable", "major", "extreme"]
FORMATS: tuple[str, ...] = get_args(Format)
SEVERITIES: tuple[str, ...] = get_args(Severity)
KINDS = ("hashtag", "sound", "creator", "effect")
MAX_FILTER_ITEMS = 500
MAX_TARGET_CHARS = 2000


class Subscription(msgspec.Struct, kw_only=True):
    """One subscription, as stored (secrets included: see :func:`public_view`)."""

    id: str
    target: str
    format: Format = "webhook"
    kinds: list[str] = msgspec.field(default_factory=list)
    entities: list[str] = msgspec.field(default_factory=list)
    """Entity keys (``hashtag:dance``), names (``#dance``, ``@maria``) or ids, any case."""
    markets: list[str] = msgspec.field(default_factory=list)
    min_severity: Severity = "notable"
    cooldown_s: int = 3600
    enabled: bool = True
    """False while paused (``trendmon alerts pause``)."""
    disabled: str = ""
    """Why trendmon stopped it (410 Gone, failing for days); empty while it may deliver."""
    secret: str = ""
    old_secret: str = ""
    old_secret_until_ms: int = 0
    created_ms: int = 0
    failing_since_ms: int = 0
    """When its deliveries started failing without a success since (0: not failing)."""
    note: str = ""

    @property
    def state(self) -> str:
        if self.disabled:
            return "disabled"
        return "active" if self.enabled else "paused"


def new_id() -> str:
    return "sub_" + _secrets.token_hex(8)


def _clean_list(values: Iterable[str], field: str) -> list[str]:
    out = sorted({v.strip() for v in values if v and v.strip()})
    if len(out) > MAX_FILTER_ITEMS:
        raise SubscriptionError(
            f"{field}: {len(out)} values given, at most {MAX_FILTER_ITEMS}; split the subscription",
            field,
        )
    return out


def check_target_shape(target: str, fmt: str, *, allow_http: bool) -> str:
    """The target URL, stripped, if its shape is acceptable (where it resolves to is checked
    by :mod:`trendmon.sinks.webhooks.transport` before every connection)."""
    target = target.strip()
    if not target:
        raise SubscriptionError("target: empty; give the receiver's URL, https://...", "target")
    if len(target) > MAX_TARGET_CHARS:
        raise SubscriptionError(f"target: longer than {MAX_TARGET_CHARS} characters", "target")
    try:
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise SubscriptionError(
            f"target: not a URL ({exc}); give https://HOST/PATH", "target"
        ) from None
    if parts.scheme not in ("https", "http"):
        raise SubscriptionError(
            f"target: scheme {parts.scheme or 'missing'!r}; give an https:// URL", "target"
        )
    if parts.scheme == "http" and not allow_http:
        raise SubscriptionError(
            "target: http:// is refused (alerts are signed, not encrypted); give an https:// "
            "URL, or set TRENDMON_ALERTS_ALLOW_HTTP=true for a receiver on a trusted network",
            "target",
        )
    if not parts.hostname:
        raise SubscriptionError("target: no host; give https://HOST/PATH", "target")
    if parts.username or parts.password:
        raise SubscriptionError(
            "target: user and password in the URL are refused; webhook receivers check the "
            "signature instead",
            "target",
        )
    if fmt not in FORMATS:
        raise SubscriptionError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}", "format")
    return target


def validate(sub: Subscription, *, allow_http: bool) -> Subscription:
    """``sub`` with its lists cleaned, or SubscriptionError naming the field and the fix."""
    target = check_target_shape(sub.target, sub.format, allow_http=allow_http)
    kinds = _clean_list((k.lower() for k in sub.kinds), "kinds")
    for kind in kinds:
        if kind not in KINDS:
            raise SubscriptionError(f"kinds: {kind!r} is not one of {', '.join(KINDS)}", "kinds")
    markets = _clean_list(
        (m.upper() if m.lower() != "all" else "all" for m in sub.markets), "markets"
    )
    for market in markets:
        if market != "all" and not (market.isalpha() and 2 <= len(market) <= 8):
            raise SubscriptionError(
                f"markets: {market!r} is not a market; give ISO country codes (US, GB) or all",
                "markets",
            )
    if sub.min_severity not in SEVERITIES:
        raise SubscriptionError(
            f"min_severity: {sub.min_severity!r} is not one of {', '.join(SEVERITIES)}",
            "min_severity",
        )
    if not 0 <= sub.cooldown_s <= 30 * 86_400:
        raise SubscriptionError(
            f"cooldown: {sub.cooldown_s} s is outside 0 s to 30 days", "cooldown_s"
        )
    entities = _clean_list(sub.entities, "entities")
    return msgspec.structs.replace(
        sub, target=target, kinds=kinds, markets=markets, entities=entities
    )


def _names(spike: Spike) -> set[str]:
    _, _, ident = spike.entity.partition(":")
    return {spike.entity.lower(), ident.lower(), spike.name.lower().lstrip("#@")}


def matches(sub: Subscription, spike: Spike) -> bool:
    """Whether ``spike`` passes the subscription's filters (state is not looked at)."""
    if sub.kinds and spike.kind not in sub.kinds:
        return False
    if sub.markets and spike.market not in sub.markets:
        return False
    if SEVERITIES.index(spike.severity) < SEVERITIES.index(sub.min_severity):
        return False
    if sub.entities:
        wanted = {e.lower().lstrip("#@") for e in sub.entities}
        if not wanted & _names(spike):
            return False
    return True


def signing_secrets(sub: Subscription, now_ms: int) -> list[str]:
    """The secrets to sign with now: the current one, and the previous one in its grace."""
    out = [sub.secret] if sub.secret else []
    if sub.old_secret and now_ms < sub.old_secret_until_ms:
        out.append(sub.old_secret)
    return out


def mask_target(sub: Subscription) -> str:
    """The target fit to show: Slack's and Discord's paths are credentials, so only the host."""
    if sub.format == "webhook":
        parts = urlsplit(sub.target)
        return parts._replace(query="", fragment="").geturl()
    parts = urlsplit(sub.target)
    return f"{parts.scheme}://{parts.hostname}/…"


def public_view(sub: Subscription) -> dict[str, Any]:
    """What may be printed or exported: no secret, a masked target."""
    doc = msgspec.to_builtins(sub)
    for key in ("secret", "old_secret"):
        doc.pop(key, None)
    doc["target"] = mask_target(sub)
    doc["state"] = sub.state
    doc["secret_rotating"] = bool(sub.old_secret)
    return dict(doc)
