"""The embedded runtime: the log in, the engine, the stores out, on one machine.

One loop reads the ``snapshots`` topic of the embedded log from its position, decodes batches,
runs them through the :class:`~trendmon.engine.engine.Engine`, writes the outputs to the live
store (Redis) and the history store, and moves on. Invalid records and snapshots the engine
refuses go to ``dead-letters`` with the reason and their origin (:mod:`~trendmon.runtimes.decoding`,
shared with the distributed runtime).

**Crashes.** Every few seconds the loop writes a checkpoint, the engine's whole state and the
next offset in one file (written aside, then renamed, so it is never torn), under
``TRENDMON_HOME/engine-NAMESPACE.ckpt``. After a crash the runtime resumes from the checkpoint and
processes again what followed it; the engine is deterministic, so it produces the same outputs,
and every store write is idempotent (absolute values guarded by version, deterministic ids), so
nothing is lost and nothing is counted twice.

**Replay.** :func:`replay` rebuilds state, boards and history from the log (optionally a time
range) into a separate namespace, with a fresh engine and no checkpoint: the same log always
gives the same boards and spikes.
"""

from __future__ import annotations

import logging
import os
import pickle
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trendmon.engine.engine import Engine, EngineOutput
from trendmon.errors import BusError, ConfigError
from trendmon.events import VideoSnapshot
from trendmon.forecast.observations import Read
from trendmon.forecast.partitioned import PartitionedForecasts
from trendmon.log.base import DEAD_LETTERS, SNAPSHOTS, Bus, Record
from trendmon.log.embedded import EmbeddedLog
from trendmon.runtimes.decoding import decode
from trendmon.runtimes.forecasts import score_into
from trendmon.settings import DEFAULT_NAMESPACE, EngineSettings
from trendmon.sinks.history import HistoryStore
from trendmon.sinks.redis.store import LiveStore

if TYPE_CHECKING:
    from trendmon.forecast.forecaster import HourlyForecasts
    from trendmon.runtimes.alerts import AlertService

log = logging.getLogger(__name__)

CHECKPOINT_VERSION = 7
"""7: the engine's state pickles the same in both builds (:mod:`trendmon.engine.state`)."""
MAX_CHECKPOINT_FAILURES = 3


@dataclass
class Sinks:
    """Where engine outputs go. Either store may be absent (tests, benchmarks)."""

    live: LiveStore | None = None
    history: HistoryStore | None = None
    alerts: AlertService | None = None
    """Spike alerts (``trendmon run`` only): spikes are queued durably before the checkpoint."""

    def write(self, accepted: list[VideoSnapshot], out: EngineOutput) -> None:
        """Write an engine output, and the snapshots it ``accepted``."""
        if self.history is not None:
            self.history.write(accepted, out.scores, out.spikes)
        if self.live is not None:
            self.live.write(accepted, out.deltas, out.scores, out.spikes, out.watermark_ms)
        if self.alerts is not None and out.spikes:
            self.alerts.offer(out.spikes)

    def close(self) -> None:
        if self.alerts is not None:
            self.alerts.close()
        if self.history is not None:
            self.history.close()
        if self.live is not None:
            self.live.close()


@dataclass
class RunStats:
    """What a run has done so far (for the status line and tests)."""

    records: int = 0
    snapshots: int = 0
    dead_letters: int = 0
    deltas: int = 0
    scores: int = 0
    spikes: int = 0
    forecasts: int = 0
    batches: int = 0
    next_offset: int = 0
    watermark_ms: int = 0
    started: float = field(default_factory=time.monotonic)


def _write_atomically(path: Path, *state: object) -> None:
    """Pickle each of ``state`` in turn into ``path``, atomically (a header can be read alone)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fp:
        for part in state:
            pickle.dump(part, fp, protocol=pickle.HIGHEST_PROTOCOL)
        fp.flush()
        os.fsync(fp.fileno())
    os.replace(tmp, path)


class EmbeddedRuntime:
    """The engine loop over the embedded log."""

    def __init__(
        self,
        log_: Bus,
        sinks: Sinks,
        settings: EngineSettings | None = None,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        checkpoint_every_s: float = 5.0,
        batch_size: int = 2000,
        partitions: int = 1,
        publish_dead_letters: bool = True,
        forecasts: HourlyForecasts | None = None,
    ) -> None:
        self.log = log_
        self.forecasts = None if forecasts is None else PartitionedForecasts(forecasts, partitions)
        """Hourly forecasts (:mod:`trendmon.runtimes.forecasts`) fed by stage-1 partition as
        the distributed runtime feeds them, kept in the checkpoint."""
        self.sinks = sinks
        self.settings = settings or EngineSettings()
        self.namespace = namespace
        home = log_.home if isinstance(log_, EmbeddedLog) else Path(".")
        self.checkpoint_path = home / f"engine-{namespace}.ckpt"
        self.checkpoint_every_s = checkpoint_every_s
        self.batch_size = batch_size
        self.publish_dead_letters = publish_dead_letters
        self.engine = Engine(self.settings, partitions=partitions)
        self.engine.reads_for_forecasts = self.forecasts is not None
        self.stats = RunStats()
        self._last_checkpoint = time.monotonic()
        self._child: int | None = None
        self.checkpoint_failures = 0

    # -- checkpoints --------------------------------------------------------------------------

    def restore(self) -> bool:
        """Load the checkpoint if there is one; True if loaded.

        A checkpoint that cannot be read, or that was made with other engine settings, is a
        ConfigError: starting over would leave the old outputs in the stores (their writes are
        guarded against going back in time), so the fix is a replay into a new namespace.
        """
        for stale in self.checkpoint_path.parent.glob(f"{self.checkpoint_path.name}.*.tmp"):
            stale.unlink(missing_ok=True)  # a checkpoint writer that was killed mid-write
        try:
            fp = self.checkpoint_path.open("rb")
        except FileNotFoundError:
            return False
        unreadable = (
            f"cannot read the engine checkpoint {self.checkpoint_path}; delete it and rebuild "
            "with `trendmon replay --into NEW`, or run with another --namespace"
        )
        with fp:
            try:
                header = pickle.load(fp)  # our own file
                version = header[0]
            except Exception as exc:
                raise ConfigError(f"{unreadable} ({type(exc).__name__})") from None
            if version != CHECKPOINT_VERSION:
                raise ConfigError(
                    f"the engine checkpoint {self.checkpoint_path} was written by another version "
                    f"of trendmon (checkpoint format {version}, this one reads "
                    f"{CHECKPOINT_VERSION}); rebuild with `trendmon replay --into NEW` and show "
                    "that namespace"
                )
            _, settings, offset = header
            if settings != self.settings.model_dump():
                raise ConfigError(
                    f"the engine checkpoint {self.checkpoint_path} was made with other engine "
                    "settings (TRENDMON_ENGINE_*); rebuild with `trendmon replay --into NEW` and "
                    "show that namespace, or restore the settings"
                )
            try:
                engine = pickle.load(fp)
            except Exception as exc:
                raise ConfigError(f"{unreadable} ({type(exc).__name__})") from None
            if self.forecasts is not None:
                try:
                    forecasts = pickle.load(fp)
                except EOFError:
                    forecasts = None  # a checkpoint from before forecasts: they start afresh
                if forecasts is not None:
                    # The model file wins.
                    forecasts.hourly.forecaster = self.forecasts.hourly.forecaster
                    forecasts.hourly.notice = self.forecasts.hourly.notice
                    self.forecasts = forecasts
        self.engine = engine
        engine.reads_for_forecasts = self.forecasts is not None
        self.stats.next_offset = offset
        self.stats.watermark_ms = engine.stage1.watermark_ms
        return True

    def checkpoint(self, *, background: bool = True) -> None:
        """Write the engine's state and the next offset atomically.

        In the background by default: a forked child (copy-on-write, like Redis' BGSAVE)
        pickles and writes while the loop goes on, so a large state does not stall the stream.
        A new one is not started while the last is still writing.
        """
        if self._child is not None:
            pid, status = os.waitpid(self._child, 0 if not background else os.WNOHANG)
            if pid == 0:
                return  # still writing the previous one
            self._child = None
            if status != 0:
                self.checkpoint_failures += 1
                log.error("engine checkpoint failed (%d in a row)", self.checkpoint_failures)
                if self.checkpoint_failures >= MAX_CHECKPOINT_FAILURES:
                    raise BusError(
                        f"{self.checkpoint_failures} engine checkpoints in a row could not be "
                        f"written to {self.checkpoint_path} (disk full?); stopping rather than "
                        "running without a way to resume"
                    )
            else:
                self.checkpoint_failures = 0
        self._last_checkpoint = time.monotonic()
        header = (CHECKPOINT_VERSION, self.settings.model_dump(), self.stats.next_offset)
        state = (header, self.engine, self.forecasts)
        if background and hasattr(os, "fork"):
            pid = os.fork()
            if pid == 0:  # the child: write and leave without running any cleanup of the parent
                code = 1
                try:
                    _write_atomically(self.checkpoint_path, *state)
                    code = 0
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(code)
            self._child = pid
            return
        _write_atomically(self.checkpoint_path, *state)

    # -- the loop -----------------------------------------------------------------------------

    def step(self, *, from_time_ms: int | None = None, to_time_ms: int | None = None) -> int:
        """Process at most one batch of what the log holds now; return how many records."""
        try:
            records = list(
                self.log.read(
                    SNAPSHOTS,
                    from_offset=self.stats.next_offset,
                    from_time_ms=from_time_ms,
                    to_time_ms=to_time_ms,
                    limit=self.batch_size,
                )
            )
        except BusError:
            if SNAPSHOTS in self.log.topics():
                raise
            return 0  # nothing published yet
        if not records:
            return 0
        self.process(records)
        return len(records)

    def process(self, records: list[Record]) -> EngineOutput:
        """Decode, run and store one batch of records."""
        decoded = decode(records, one_sequence=isinstance(self.log, EmbeddedLog))
        snapshots = decoded.snapshots
        out = self.engine.process(snapshots)
        decoded.refuse(out.rejected)
        dead = decoded.dead
        if dead and self.publish_dead_letters:
            self.log.publish(DEAD_LETTERS, dead)
        accepted = out.select(snapshots)
        self.sinks.write(accepted, out)
        st = self.stats
        st.forecasts += score_into(
            self.forecasts,
            accepted,
            self.sinks.history,
            self.engine.stage1.partition_of,
            out.accepted_ms,
            Read(out.numbering, out.accepted_videos, out.accepted_plays),
        )
        st.records += len(records)
        st.snapshots += len(out.accepted)
        st.dead_letters += len(dead)
        st.deltas += len(out.deltas)
        st.scores += len(out.scores)
        st.spikes += len(out.spikes)
        st.batches += 1
        st.next_offset = records[-1].offset + 1
        st.watermark_ms = out.watermark_ms
        if time.monotonic() - self._last_checkpoint >= self.checkpoint_every_s:
            self.checkpoint()
        return out

    def run(
        self,
        *,
        follow: bool = True,
        should_stop: Callable[[], bool] = lambda: False,
        on_batch: Callable[[RunStats], None] | None = None,
        idle_sleep_s: float = 0.05,
    ) -> RunStats:
        """Process the log until its end (``follow=False``) or until ``should_stop()``."""
        while not should_stop():
            n = self.step()
            if n and on_batch is not None:
                on_batch(self.stats)
            if n == 0:
                if not follow:
                    break
                time.sleep(idle_sleep_s)
        self.checkpoint(background=False)
        return self.stats


def replay(
    log_: Bus,
    sinks: Sinks,
    settings: EngineSettings | None = None,
    *,
    from_time_ms: int | None = None,
    to_time_ms: int | None = None,
    namespace: str = "replay",
    batch_size: int = 5000,
    on_batch: Callable[[RunStats], None] | None = None,
    forecasts: HourlyForecasts | None = None,
) -> RunStats:
    """Rebuild state, boards and history from the log (event-time range) with a fresh engine.

    The log is the embedded one or Kafka (whose offsets are found by timestamp). On Kafka the
    engine keeps a watermark per partition of the snapshots topic, as the distributed workers
    do, so the replay gives their boards and spikes however the partitions' records interleave;
    its dead letters are counted, not published again (the live run published them).

    The caller clears the target namespace first when it wants a rebuild rather than a merge;
    either way the writes are idempotent, so replaying twice changes nothing.
    """
    embedded = isinstance(log_, EmbeddedLog)
    runtime = EmbeddedRuntime(
        log_,
        sinks,
        settings,
        namespace=namespace,
        batch_size=batch_size,
        checkpoint_every_s=float("inf"),
        partitions=1 if embedded else log_.stats(SNAPSHOTS).partitions,
        publish_dead_letters=embedded,
        forecasts=forecasts,
    )
    batch: list[Record] = []
    for record in log_.read(SNAPSHOTS, from_time_ms=from_time_ms, to_time_ms=to_time_ms):
        batch.append(record)
        if len(batch) >= batch_size:
            runtime.process(batch)
            batch = []
            if on_batch is not None:
                on_batch(runtime.stats)
    if batch:
        runtime.process(batch)
    return runtime.stats
