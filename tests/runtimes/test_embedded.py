"""The embedded runtime end to end: replay gives the same boards, crashes lose nothing."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trendmon.log.embedded import EmbeddedLog
from trendmon.runtimes.embedded import EmbeddedRuntime, Sinks, replay
from trendmon.settings import EngineSettings
from trendmon.sinks.factory import open_history
from trendmon.sinks.redis.store import LiveStore

pytestmark = pytest.mark.slow


def trendmon(*args: str, home: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "trendmon", *args, "--home", str(home)],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    trendmon(
        "simulate",
        "--hours",
        "3",
        "--videos",
        "150",
        "--creators",
        "50",
        "--breakouts",
        "2",
        "--seed",
        "5",
        home=home,
    )
    return home


def sinks(home: Path, namespace: str) -> Sinks:
    return Sinks(
        LiveStore.open(home=home, namespace=namespace),
        open_history("sqlite", home=home, namespace=namespace),
    )


def state(home: Path, namespace: str) -> tuple[object, ...]:
    s = sinks(home, namespace)
    try:
        assert s.live is not None and s.history is not None
        spikes = [(x.spike_id, x.z, x.severity) for x in s.history.spikes(limit=10_000)]
        return s.live.dump(), spikes, s.history.counts()
    finally:
        s.close()


def test_replay_gives_identical_boards_and_spikes_and_twice_changes_nothing(home: Path) -> None:
    log = EmbeddedLog(home)
    live = sinks(home, "tm")
    runtime = EmbeddedRuntime(log, live, EngineSettings(), batch_size=700)
    stats = runtime.run(follow=False)
    live.close()
    assert stats.records == log.count("snapshots") > 10_000
    assert stats.scores > 0
    original = state(home, "tm")

    first = sinks(home, "rebuild")
    replay(log, first, EngineSettings(), namespace="rebuild", batch_size=5000)
    first.close()
    replayed = state(home, "rebuild")
    assert replayed == original

    again = sinks(home, "rebuild")
    replay(log, again, EngineSettings(), namespace="rebuild", batch_size=333)
    again.close()
    assert state(home, "rebuild") == original


def test_kill_9_mid_stream_then_restart_gives_the_undisturbed_boards(home: Path) -> None:
    log = EmbeddedLog(home)
    reference = sinks(home, "reference")
    replay(log, reference, EngineSettings(), namespace="reference")
    reference.close()

    args = [
        sys.executable,
        "-m",
        "trendmon",
        "run",
        "--once",
        "--no-simulate",
        "--checkpoint-every",
        "0.2",
        "--home",
        str(home),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = home / "engine-tm.ckpt"
    deadline = time.monotonic() + 120
    while not ckpt.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1.5)  # a checkpoint writer the run had forked may still be finishing its file
    assert ckpt.exists(), "the run must have checkpointed before the kill"
    probe = EmbeddedRuntime(log, Sinks(), EngineSettings())
    assert probe.restore()
    assert 0 < probe.stats.next_offset < log.stats("snapshots").next_offset, "killed mid-stream"
    resumed = subprocess.run(args, check=True, capture_output=True, text=True, timeout=300)
    assert f"resuming from checkpoint at offset {probe.stats.next_offset:,}" in resumed.stderr

    live, spikes, counts = state(home, "tm")
    ref_live, ref_spikes, ref_counts = state(home, "reference")
    assert spikes == ref_spikes
    assert counts == ref_counts
    assert live == ref_live


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"type": "video_snapshot", "v": 1, "video_id": "1"', "not a JSON event"),
        (b'{"type": "video_snapshot", "v": 7}', "unsupported schema version"),
        (b"\xff\xfe garbage", "not a JSON event"),
    ],
)
def test_a_poison_record_goes_to_dead_letters_and_the_stream_flows(
    tmp_path: Path, raw: bytes, reason: str
) -> None:
    from trendmon.events import DeadLetter, decode_event, encode
    from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS, Message

    from ..engine.factory import snap

    log = EmbeddedLog(tmp_path)
    before, after = snap(minutes=0), snap(minutes=5, plays=5000)
    log.publish(
        SNAPSHOTS,
        [
            Message(before.video_id, encode(before), 0, before.event_id),
            Message("poison", raw, 1),
            Message(after.video_id, encode(after), 2, after.event_id),
        ],
    )
    runtime = EmbeddedRuntime(log, Sinks(), EngineSettings())
    stats = runtime.run(follow=False)
    assert (stats.records, stats.snapshots, stats.dead_letters, stats.deltas) == (3, 2, 1, 2)
    (letter,) = [decode_event(r.value) for r in log.read(DEAD_LETTERS)]
    assert isinstance(letter, DeadLetter)
    assert reason in letter.reason and letter.origin == "snapshots@0:2"
    if raw.startswith(b"\xff"):  # not UTF-8: kept whole, as base64
        assert letter.raw is None and base64.b64decode(letter.raw_b64 or "") == raw
    else:
        assert letter.raw == raw.decode()
    # Processing the same records again (a restart from an older checkpoint) adds no letter.
    EmbeddedRuntime(log, Sinks(), EngineSettings()).run(follow=False)
    assert log.count(DEAD_LETTERS) == 1


def test_a_checkpoint_of_another_format_is_refused_with_the_fix(tmp_path: Path) -> None:
    from trendmon.errors import ConfigError
    from trendmon.runtimes import embedded as rt

    log = EmbeddedLog(tmp_path)
    runtime = EmbeddedRuntime(log, Sinks(), EngineSettings())
    old = rt.CHECKPOINT_VERSION - 1
    header = (old, EngineSettings().model_dump(), 7, "compiled")  # format 6 named its build
    rt._write_atomically(runtime.checkpoint_path, header, "an engine of the old format")
    with pytest.raises(ConfigError, match=f"checkpoint format {old}") as raised:
        runtime.restore()
    assert "trendmon replay --into NEW" in str(raised.value)
    # This format reads back (whichever build wrote it: tests/engine/test_state.py).
    rt._write_atomically(
        runtime.checkpoint_path,
        (rt.CHECKPOINT_VERSION, EngineSettings().model_dump(), 7),
        runtime.engine,
    )
    assert runtime.restore() and runtime.stats.next_offset == 7
    log.close()
