"""Faust's end of table recovery, without the races that drop records (faust-streaming 0.15.3).

After a rebalance, or at a worker's start, Faust's ``Recovery`` pauses every partition, reads
the tables' changelogs with the consumer's flow on and its fetcher running, and then, in
``on_recovery_completed``:

1. resumes the stream partitions (``consumer.resume_partitions``),
2. awaits ``consumer.perform_seek()``: a round trip to the consumer thread that reads the
   committed offsets, seeks to them and resets the consumer's read and committed offsets,
3. resumes the app's flow control, which *clears every stream's queue*.

The fetcher is still running from step 1, so during step 2 it fetches records of the stream
partitions and delivers them to the agents' queues, moving its read offset past them. Step 3
then throws away those that no agent has taken yet. When the seek came before they were
fetched (the seek is one more await on another thread: under load it often does), nothing
fetches them again: they are never processed nor acknowledged, and the partition's commit
stops below them for good. Faust commits past a single missing offset (``Consumer._new_offset``
tolerates a hole of one), so one lost record is lost silently, two or more hold the partition:
``bench/restart.py`` hung with ``snapshots`` committed at 3143 of 3157 (and a worker restarted
after ``kill -9`` once never processed records 6-7 of a partition, the same signature). Seen
in a trace of the consumer: 32 ``entity-deltas`` records delivered while the seek was under
way, 3 of them taken by stage 2, the rest cleared, and the partitions' commits stuck there.

:class:`TableManager` gives Faust a :class:`Recovery` that seeks first and resumes the stream
partitions only then, in the same step as the flow (nothing runs between the two): nothing of
theirs is delivered before the seek, so there is nothing for the clear to drop, and the reads
start at the committed offsets. The rest of ``on_recovery_completed`` is Faust's.

That order alone meets a second race (with the seek slowed down, 2 runs in 3: every record of
the stream partitions read from the client, none delivered). Faust's fetch hands the
consumer thread *its own set* of active partitions, which it goes on changing, and aiokafka
reads an empty set as "every partition". Recovery pauses the changelogs once they are read,
which leaves the set empty while a fetch may still be waiting on the thread (up to a second):
that fetch then returns the records prefetched for any partition, the client's position moves
past them, and Faust drops them as not active. Before the seek that is harmless (the seek
moves back), after it they are lost. So :class:`Recovery` also makes each fetch ask for a copy
of the set, taken when the fetch starts (``_freeze_fetched_partitions``).

Upstream: the same kind of race as faust-streaming#216 (fixed there for apps without tables,
PR #217); the README lists the symptom under faust-streaming#629, which reports partitions left
unfetched after a rebalance.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from faust.tables import TableManager as FaustTableManager
from faust.tables.recovery import Recovery as FaustRecovery

__all__ = ["Recovery", "TableManager"]


def _freeze_fetched_partitions(consumer: Any) -> None:
    """Make ``consumer``'s fetches ask for the partitions active when they start, not for the
    set Faust keeps changing while the consumer thread waits (module docstring)."""
    getmany = consumer._getmany

    async def _getmany(active_partitions: set[Any] | None, timeout: float) -> Any:
        frozen = None if active_partitions is None else set(active_partitions)
        return await getmany(frozen, timeout)

    consumer._getmany = _getmany


class Recovery(FaustRecovery):  # type: ignore[misc]
    """Faust's recovery, with the stream partitions resumed after the seek and fetches that ask
    for the partitions active when they start (module docstring)."""

    async def on_start(self) -> None:
        # Before the fetcher starts: this service starts it, to read the changelogs.
        _freeze_fetched_partitions(self.app.consumer)
        await super().on_start()

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        """Faust 0.15.3's ``Recovery.on_recovery_completed``, with the stream partitions
        resumed after ``perform_seek`` and right before the flow, rather than before the seek."""
        app: Any = self.app
        consumer = app.consumer
        self.log.info("Restore complete!")
        await app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callback_coros = [
            asyncio.ensure_future(
                table.on_recovery_completed(
                    self.actives_for_table[table], self.standbys_for_table[table]
                )
            )
            for table in self.tables.values()
        ]
        if callback_coros:
            await asyncio.wait(callback_coros)
        assignment = consumer.assignment()
        if app.consumer_generation_id != generation_id:
            self.log.warning(
                f"Recovery rebalancing again app id {app.consumer_generation_id} "
                f"param {generation_id}"
            )
            return
        if assignment:
            # The stream partitions are still paused: the fetcher delivers none of their
            # records before the seek.
            self.log.info("Seek stream partitions to committed offsets.")
            await self._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
        self.completed.set()
        # No await between these two: what is fetched from now on comes after the seek, and
        # is queued after the flow control's resume has cleared the queues.
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
        app.flow_control.resume()
        consumer.resume_flow()
        # finally make sure the fetcher is running.
        await app._fetcher.maybe_start()
        self.tables.on_actives_ready()
        if not app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        app.on_rebalance_end()
        self.log.info("Worker ready")


class TableManager(FaustTableManager):  # type: ignore[misc]
    """Faust's table manager, recovering with :class:`Recovery` (``faust.App(TableManager=)``)."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = Recovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return cast(Recovery, self._recovery)
