"""``trendmon worker``: one worker of the distributed runtime (Faust on Kafka)."""

from __future__ import annotations

import os
import threading
from typing import Annotated, Any

import typer

from trendmon.cli.common import err
from trendmon.settings import (
    CoreSettings,
    EngineSettings,
    KafkaSettings,
    MongoSettings,
    RedisSettings,
    load,
    resolve_namespace,
)

STOP_GRACE_S = 30.0
"""A stopping worker that has not exited after this long exits with status 1."""


def _worker_class() -> Any:
    import faust

    class Worker(faust.Worker):  # type: ignore[misc]
        """faust.Worker that does not hang on its way out: Faust's last offset commit can wait
        for ever on a broker that went away (seen in the broker-restart test: a worker whose
        agent crashed sat five minutes in its final commit, neither working nor exited). After
        STOP_GRACE_S the process exits with status 1, so its supervisor (compose's restart
        policy) starts it again; what it had not committed is processed again, idempotently."""

        async def on_stop(self) -> None:
            timer = threading.Timer(STOP_GRACE_S, os._exit, (1,))
            timer.daemon = True
            timer.start()
            await super().on_stop()

    return Worker


def worker(
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            help="Namespace of the stores (boards, history); default TRENDMON_REDIS_NAMESPACE.",
        ),
    ] = None,
    no_sinks: Annotated[
        bool,
        typer.Option("--no-sinks", help="Only compute; leave Redis and MongoDB to other workers."),
    ] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Records per agent batch.")] = 2000,
    within: Annotated[
        float,
        typer.Option(
            "--within",
            min=0.001,
            help="Seconds an agent waits to fill a batch: latency against per-batch overhead.",
        ),
    ] = 0.05,
    loglevel: Annotated[
        str, typer.Option("--loglevel", help="crit, error, warn, info or debug.")
    ] = "warn",
    instance_id: Annotated[
        str | None,
        typer.Option(
            "--instance-id",
            envvar="TRENDMON_WORKER_INSTANCE_ID",
            help="A stable name for this worker (static group membership): restarted with the "
            "same one, it takes its partitions back without a rebalance.",
        ),
    ] = None,
) -> None:
    """Run one worker: stage 1, stage 2, the ranker and the sinks on Kafka.

    Start as many as the load needs; they share the topics' partitions
    (TRENDMON_KAFKA_PARTITIONS). Producers publish with `--bus kafka`. Settings come from
    TRENDMON_KAFKA_*, TRENDMON_ENGINE_*, TRENDMON_REDIS_*, TRENDMON_MONGO_* and
    TRENDMON_FORECAST_* (the model file is read from the worker's TRENDMON_HOME).

    Example:

        TRENDMON_KAFKA_BOOTSTRAP_SERVERS=kafka:9092 trendmon worker
    """

    from trendmon.runtimes.distributed import WorkerOptions, build_app, ensure_topics
    from trendmon.runtimes.forecasts import open_forecasts

    kafka = load(KafkaSettings)
    engine = load(EngineSettings)
    ensure_topics(kafka, engine)  # fails here, with the reason, rather than inside Faust
    app = build_app(
        kafka,
        engine,
        WorkerOptions(
            batch=batch,
            within_s=within,
            sinks=not no_sinks,
            namespace=resolve_namespace(namespace),
            instance_id=instance_id,
            datadir=load(CoreSettings).home / "worker",
        ),
        redis=load(RedisSettings),
        mongo=load(MongoSettings),
        forecasts=open_forecasts(load(CoreSettings).home),
    )
    err.print(f"trendmon worker on {kafka.bootstrap_servers} ({kafka.partitions} partitions)")
    runner = _worker_class()(app, loglevel=loglevel, quiet=True)
    # Faust's start-up spinner sets the root logger to DEBUG (its handler filters), so every
    # record sent would build a debug log record nobody sees: a tenth of the worker's time.
    runner.spinner = None
    runner.execute_from_commandline()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
