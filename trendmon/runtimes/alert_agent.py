"""The distributed worker's alerts: a Faust agent on the ``spikes`` topic queues them, a timer
sends what is due; state in MongoDB (:class:`~trendmon.sinks.mongo.alerts.MongoAlerts`).

Both are thin: the agent hands each batch's spikes to :meth:`Dispatcher.offer
<trendmon.sinks.webhooks.delivery.Dispatcher.offer>` in a thread and is acknowledged only once they
are queued (a store that is away holds the batch, as the sinks do); the timer runs
:meth:`~trendmon.sinks.webhooks.delivery.Dispatcher.run_due`. Any number of workers can run them:
queueing a spike twice is harmless and a claim is exclusive, so each delivery goes out once. Stage
2 sends each spike once; after a crash it may send a spike again, which is queued once. """

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
import msgspec

from trendmon.errors import ServiceUnavailableError
from trendmon.events import SinkBatch
from trendmon.runtimes.waiting import until_available
from trendmon.settings import AlertSettings, KafkaSettings, MongoSettings, load
from trendmon.sinks.factory import open_alerts
from trendmon.sinks.webhooks.delivery import Dispatcher

log = logging.getLogger(__name__)

_decode = msgspec.json.Decoder(SinkBatch).decode


def add_alerts(
    app: faust.App,
    kafka: KafkaSettings,
    mongo: MongoSettings | None,
    *,
    spikes_topic: str = "spikes",
    batch: int = 500,
    within_s: float = 0.05,
) -> None:
    """Add the alert agent and timer to a worker's app (off with TRENDMON_ALERTS_ENABLED=false)."""
    settings = load(AlertSettings)
    if not settings.enabled:
        return
    holder: dict[str, Dispatcher] = {}

    def dispatcher() -> Dispatcher:
        # Opened on first use, in a worker thread: MongoDB may be away when the worker starts.
        if "d" not in holder:
            holder["d"] = Dispatcher(open_alerts("mongo", mongo=mongo), settings)
        return holder["d"]

    topic = app.topic(
        f"{kafka.topic_prefix}{spikes_topic}", key_serializer="raw", value_serializer="raw"
    )

    @app.agent(topic, name="alerts")
    async def queue_alerts(stream: Any) -> None:
        async for values in stream.take(batch, within=within_s):
            spikes = []
            for value in values:
                try:
                    spikes += _decode(value).spikes
                except msgspec.DecodeError as exc:
                    log.error("alerts skip a record they cannot read: %s", exc)
            if spikes:
                await until_available(lambda s=spikes: dispatcher().offer(s), "alerts")  # type: ignore[misc]

    async def send_due() -> None:
        try:
            await asyncio.to_thread(lambda: dispatcher().run_due())
        except ServiceUnavailableError as exc:
            log.warning("due alerts wait for their store: %s", exc)

    app.timer(interval=settings.poll_s)(send_due)
