"""``trendmon alerts``: the subscription commands against a real receiver, secrets shown once,
bad input as one line naming the fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner

from trendmon.cli import app

from ..alerts.receivers import Reply, receiver


@pytest.fixture(autouse=True)
def _loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRENDMON_ALERTS_ALLOW_NETWORKS", "127.0.0.0/8")
    monkeypatch.setenv("TRENDMON_ALERTS_ALLOW_HTTP", "true")


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["alerts", *args])
    return result.exit_code, result.stdout, result.stderr


def test_add_list_test_rotate_pause_and_remove() -> None:
    with receiver() as rx:
        code, out, errs = cli(
            "add", rx.url, "--kind", "hashtag", "--market", "us", "--cooldown", "30m"
        )
        assert code == 0, errs
        added = json.loads(out)
        secret = added["secret"]
        assert secret.startswith("whsec_") and "shown this once" in errs
        assert added["markets"] == ["US"] and added["cooldown_s"] == 1800
        code, out, _ = cli("list")
        [listed] = [json.loads(line) for line in out.splitlines()]
        assert listed["id"] == added["id"] and "secret" not in listed and "whsec_" not in out
        code, out, _ = cli("test", added["id"])
        assert code == 0 and json.loads(out)["status"] == 200
        assert Webhook(secret).verify(rx.requests[0].body, rx.requests[0].headers)["type"] == (
            "trendmon.test"
        )
        code, out, _ = cli("update", added["id"], "--rotate-secret")
        new_secret = json.loads(out)["secret"]
        assert new_secret != secret and json.loads(out)["secret_rotating"] is True
        cli("test", added["id"])
        for key in (secret, new_secret):
            Webhook(key).verify(rx.requests[1].body, rx.requests[1].headers)
        code, out, _ = cli("pause", added["id"])
        assert json.loads(out)["state"] == "paused"
        code, out, _ = cli("resume", added["id"])
        assert json.loads(out)["state"] == "active"
        code, out, _ = cli("log", added["id"])
        assert [json.loads(line)["status"] for line in out.splitlines()] == ["delivered"] * 2
        assert cli("remove", added["id"])[0] == 0
        code, _, errs = cli("pause", added["id"])
        assert code == 2 and f"no subscription '{added['id']}'" in errs


def test_log_redeliver_and_recover(tmp_path: Path) -> None:
    from trendmon.settings import AlertSettings
    from trendmon.sinks.factory import open_alerts
    from trendmon.sinks.webhooks.delivery import Dispatcher

    from ..alerts.conftest import make_spike

    with receiver(lambda i, r: Reply(500 if i < 2 else 200, body=b"down" if i < 2 else b"")) as rx:
        _, out, _ = cli("add", rx.url)
        sub_id = json.loads(out)["id"]
        store = open_alerts("sqlite", home=tmp_path / "home")
        d = Dispatcher(store, AlertSettings(schedule="", group_window_s=0))
        d.offer([make_spike("hashtag:a")])
        d.run_due()
        d.offer([make_spike("hashtag:b")])
        d.run_due()
        d.close()
        store.close()
        _, out, _ = cli("log", sub_id, "--status", "failed")
        failed = [json.loads(line) for line in out.splitlines()]
        assert len(failed) == 2 and failed[0]["last_result"] == "500"
        _code, out, _ = cli("log", "--delivery", failed[0]["id"])
        [attempt] = [json.loads(line) for line in out.splitlines()]
        assert attempt["status"] == 500 and attempt["excerpt"] == "down"
        _, out, _ = cli("redeliver", failed[0]["id"])
        assert json.loads(out)["status"] == "delivered"
        _, out, _ = cli("recover", "--since", "2020-01-01T00:00:00Z")
        assert [json.loads(line)["id"] for line in out.splitlines()] == [failed[1]["id"]]
        assert json.loads(out)["status"] == "delivered"
    assert [r.headers["webhook-id"] for r in rx.requests][2:] == [failed[0]["id"], failed[1]["id"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "ftp://x.example/"], "target: scheme 'ftp'; give an https:// URL"),
        (["add", "https://x.example/", "--kind", "song"], "kinds: 'song' is not one of"),
        (["add", "https://x.example/", "--format", "teams"], "format: 'teams' is not one of"),
        (["add", "https://x.example/", "--cooldown", "soon"], "give 90s, 30m or 2h"),
        (["log", "--delivery", "msg_nope"], "no delivery 'msg_nope'"),
    ],
)
def test_bad_input_is_one_line_naming_the_fix(args: list[str], message: str) -> None:
    code, out, errs = cli(*args)
    assert code == 2 and message in errs and out == ""
    assert "Traceback" not in errs


def test_the_command_line_refuses_a_private_target_with_its_reason(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "TRENDMON_HOME": str(tmp_path / "h"),
        "TRENDMON_ALERTS_ALLOW_HTTP": "true",
    }
    added = subprocess.run(
        [sys.executable, "-m", "trendmon", "alerts", "add", "http://169.254.169.254/latest/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    sub_id = json.loads(added.stdout)["id"]
    tried = subprocess.run(
        [sys.executable, "-m", "trendmon", "alerts", "test", sub_id],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tried.returncode == 1 and "Traceback" not in tried.stderr
    attempt = json.loads(tried.stdout)
    assert attempt["outcome"] == "refused"
    assert "169.254.169.254 is a cloud metadata address" in attempt["error"]
