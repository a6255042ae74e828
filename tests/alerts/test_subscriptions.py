"""Subscriptions are validated field by field, filter spikes as documented, and never show
their secrets; bodies keep to their formats' limits."""

from __future__ import annotations

import orjson
import pytest

from trendmon.alerts import formats
from trendmon.alerts.schedule import Schedule
from trendmon.alerts.subscriptions import Subscription, matches, public_view, validate
from trendmon.errors import ConfigError, SubscriptionError

from .conftest import make_spike


def sub(**over: object) -> Subscription:
    fields: dict[str, object] = {"id": "sub_1", "target": "https://hooks.example.com/x"}
    fields.update(over)
    return Subscription(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("over", "field", "fix"),
    [
        ({"target": ""}, "target", "give the receiver's URL"),
        ({"target": "ftp://x.example"}, "target", "give an https:// URL"),
        ({"target": "http://x.example/"}, "target", "TRENDMON_ALERTS_ALLOW_HTTP"),
        ({"target": "https://user:pw@x.example/"}, "target", "check the signature"),
        ({"target": "https://x.example:99999/"}, "target", "not a URL"),
        ({"kinds": ["hashtag", "songs"]}, "kinds", "not one of hashtag, sound"),
        ({"markets": ["U-S"]}, "markets", "ISO country codes"),
        ({"min_severity": "huge"}, "min_severity", "notable, major, extreme"),
        ({"cooldown_s": -1}, "cooldown_s", "0 s to 30 days"),
        ({"format": "teams"}, "format", "webhook, slack, discord"),
    ],
)
def test_a_bad_field_is_named_with_its_fix(over: dict[str, object], field: str, fix: str) -> None:
    with pytest.raises(SubscriptionError) as err:
        validate(sub(**over), allow_http=False)
    assert err.value.field == field and fix in str(err.value)


def test_filters_match_kinds_names_markets_and_severity() -> None:
    s = validate(
        sub(
            kinds=["hashtag"], entities=["#Dance", "sound:s1"], markets=["us"], min_severity="major"
        ),
        allow_http=False,
    )
    assert s.markets == ["US"]
    assert matches(s, make_spike("hashtag:dance", severity="major"))
    assert matches(s, make_spike("hashtag:dance", severity="extreme"))
    assert not matches(s, make_spike("hashtag:dance", severity="notable"))
    assert not matches(s, make_spike("hashtag:dance", market="GB"))
    assert not matches(s, make_spike("hashtag:cooking"))
    assert not matches(s, make_spike("sound:s1"))  # kinds says hashtags only
    assert matches(sub(), make_spike("effect:e1", market="all", severity="notable"))


def test_the_public_view_has_no_secret_and_hides_chat_tokens() -> None:
    hook = sub(secret="whsec_c2VjcmV0c2VjcmV0c2VjcmV0", old_secret="whsec_b2xk")
    view = orjson.dumps(public_view(hook)).decode()
    assert "whsec_" not in view and "secret_rotating" in view
    slack = sub(format="slack", target="https://hooks.slack.com/services/T0/B0/SECRETTOKEN")
    shown = public_view(slack)
    assert shown["target"] == "https://hooks.slack.com/…"
    assert "SECRETTOKEN" not in orjson.dumps(shown).decode()


def test_every_format_stays_under_20_kb_with_a_flood() -> None:
    spikes = [make_spike(f"hashtag:{'x' * 80}{i}") for i in range(300)]
    s = sub()
    for body in (
        formats.webhook(s, spikes, "msg_1", 0, "http://d"),
        formats.slack(spikes, "http://d"),
        formats.discord(spikes, "http://d"),
    ):
        assert len(body) <= formats.MAX_BODY
    slack = orjson.loads(formats.slack(spikes, "http://d"))
    assert len(slack["blocks"]) <= 50
    assert len(orjson.loads(formats.discord(spikes, "http://d"))["embeds"]) == 10


def test_slack_text_is_escaped() -> None:
    body = orjson.loads(formats.slack([make_spike("hashtag:<!channel>&")], "http://d"))
    assert "<!channel>" not in body["text"] and "&lt;!channel&gt;&amp;" in body["text"]


def test_the_schedule_parses_jitters_and_runs_out() -> None:
    import random

    s = Schedule.parse("5s,5m,30m,2h,5h,10h,10h", jitter=0.1)
    assert s.waits == (5, 300, 1800, 7200, 18000, 36000, 36000) and s.attempts == 8
    rng = random.Random(1)
    waits = [s.wait_after(2, rng) for _ in range(200)]
    assert all(w is not None and 270 <= w <= 330 for w in waits)
    assert len(set(waits)) > 100  # spread, not one value
    assert s.wait_after(8, rng) is None
    with pytest.raises(ConfigError, match="TRENDMON_ALERTS_SCHEDULE: 'soon'"):
        Schedule.parse("5s,soon")
