"""The end of Faust's table recovery delivers no record of a stream partition before the seek,
and a fetch asks for the partitions active when it starts (trendmon/runtimes/recovery.py).

Faust's own ``Recovery`` fails the first test: it resumes the stream partitions before it seeks,
with the fetcher running; its records delivered meanwhile were cleared from the agents' queues
and never fetched again (a restarted worker hung with partitions' commits stuck). Without the
frozen set, the second fails: the consumer thread saw the set emptied under it, which aiokafka
reads as every partition."""

from __future__ import annotations

import asyncio
from typing import Any

from faust.types import TP

from trendmon.runtimes.recovery import Recovery, _freeze_fetched_partitions

STREAM = TP("t.snapshots", 0)
CHANGELOG = TP("t.trendmon-video-state-changelog", 0)


class _Signal:
    async def send(self, *args: Any) -> None:
        await asyncio.sleep(0)


class _Conf:
    stream_recovery_delay = 0.0
    broker_request_timeout = 30.0


class _Consumer:
    """Faust's consumer as the end of recovery uses it, and a fetcher that runs whenever the
    recovery awaits: what it would deliver is what is active while the flow is on."""

    def __init__(self, flow: _FlowControl) -> None:
        self.flow = flow
        self.active: set[TP] = set()
        self.calls: list[str] = []
        self.delivered_before_seek: set[TP] = set()
        self.sought = False

    def assignment(self) -> set[TP]:
        return {STREAM, CHANGELOG}

    def resume_partitions(self, tps: set[TP]) -> None:
        self.calls.append(f"resume {sorted(tp.topic for tp in tps)}")
        self.active |= tps

    async def perform_seek(self) -> None:
        for _ in range(3):  # a round trip to the consumer thread, while the fetcher runs
            self.fetch()
            await asyncio.sleep(0)
        self.sought = True
        self.calls.append("seek")

    def resume_flow(self) -> None:
        self.calls.append("resume flow")

    def fetch(self) -> None:
        if not self.sought:
            self.delivered_before_seek |= self.active - {CHANGELOG}


class _FlowControl:
    def __init__(self) -> None:
        self.calls: list[str] | None = None

    def resume(self) -> None:
        assert self.calls is not None
        self.calls.append("resume flow control (clears the queues)")


class _Tables:
    def __init__(self) -> None:
        self.changelog_topics = {CHANGELOG.topic}

    def values(self) -> list[Any]:
        return []

    def on_actives_ready(self) -> None: ...

    def on_standbys_ready(self) -> None: ...


class _Fetcher:
    async def maybe_start(self) -> None: ...


class _Assignor:
    def assigned_standbys(self) -> set[TP]:
        return set()


class _App:
    def __init__(self) -> None:
        self.conf = _Conf()
        self.flow_control = _FlowControl()
        self.consumer = _Consumer(self.flow_control)
        self.flow_control.calls = self.consumer.calls
        self.consumer_generation_id = 1
        self.on_rebalance_complete = _Signal()
        self._fetcher = _Fetcher()
        self.assignor = _Assignor()
        self.in_recovery = True

    def on_rebalance_end(self) -> None: ...


def test_the_stream_partitions_resume_after_the_seek_together_with_the_flow() -> None:
    app = _App()

    async def recover() -> None:
        recovery = Recovery(app, _Tables())
        # The fetcher runs beside the recovery, as Faust's does, reading what is active.
        stop = asyncio.Event()

        async def fetcher() -> None:
            while not stop.is_set():
                app.consumer.fetch()
                await asyncio.sleep(0)

        task = asyncio.ensure_future(fetcher())
        await recovery.on_recovery_completed(generation_id=1)
        stop.set()
        await task

    asyncio.run(recover())
    assert app.consumer.delivered_before_seek == set()
    assert app.consumer.calls == [
        "seek",
        f"resume ['{STREAM.topic}']",
        "resume flow control (clears the queues)",
        "resume flow",
    ]


def test_a_fetch_asks_for_the_partitions_active_when_it_started() -> None:
    asked: list[set[TP] | None] = []
    released = asyncio.Event()

    class Consumer:
        async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> Any:
            asked.append(active_partitions)
            await released.wait()  # the consumer thread waits for records
            return {}

    async def fetch() -> None:
        consumer: Any = Consumer()
        _freeze_fetched_partitions(consumer)
        active = {STREAM, CHANGELOG}
        pending = asyncio.ensure_future(consumer._getmany(active_partitions=active, timeout=1.0))
        await asyncio.sleep(0)
        active.clear()  # recovery pauses the changelogs while the fetch waits
        released.set()
        assert await pending == {}
        assert await consumer._getmany(active_partitions=None, timeout=1.0) == {}

    asyncio.run(fetch())
    assert asked == [{STREAM, CHANGELOG}, None]
