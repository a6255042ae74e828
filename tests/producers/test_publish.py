"""The publisher: batches, duplicates, and dead letters with reasons and original bytes."""

from __future__ import annotations

import base64
from pathlib import Path

from trendmon.events import DeadLetter, decode_event, decode_snapshot
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS
from trendmon.log.dead_letters import Rejected
from trendmon.log.embedded import EmbeddedLog
from trendmon.producers.publish import Publisher

from ..engine.factory import snap


def test_publishes_in_batches_counts_duplicates_and_dead_letters(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path)
    good = [snap(minutes=m) for m in range(5)]
    with Publisher(log, batch_size=2) as pub:
        for s in good:
            pub.add(s)
        pub.add(good[0])  # the same event again: stored once
        pub.add(Rejected(reason="invalid JSON", origin="f.jsonl:7", raw=b'{"id": ', detail="eof"))
        pub.add(Rejected(reason="invalid UTF-8", origin="f.jsonl:9", raw=b"\xff\xfe{}"))
    summary = pub.summary
    assert (summary.read, summary.published, summary.duplicates) == (8, 5, 1)
    assert dict(summary.dead_lettered) == {"invalid JSON": 1, "invalid UTF-8": 1}
    stored = [decode_snapshot(r.value) for r in log.read(SNAPSHOTS)]
    assert stored == good
    letters = [decode_event(r.value) for r in log.read(DEAD_LETTERS)]
    assert all(isinstance(x, DeadLetter) for x in letters)
    first, second = letters
    assert isinstance(first, DeadLetter) and isinstance(second, DeadLetter)
    assert (first.reason, first.origin, first.raw) == ("invalid JSON: eof", "f.jsonl:7", '{"id": ')
    assert second.raw is None and base64.b64decode(second.raw_b64 or "") == b"\xff\xfe{}"


def test_the_same_reject_published_again_is_stored_once(tmp_path: Path) -> None:
    log = EmbeddedLog(tmp_path)
    bad = Rejected(reason="invalid JSON", origin="f.jsonl:7", raw=b'{"id": ', detail="eof")
    for _ in range(2):  # an import run twice
        with Publisher(log) as pub:
            pub.add(bad)
    assert log.count(DEAD_LETTERS) == 1
