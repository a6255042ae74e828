"""Opening the bus that settings choose; heavy clients are imported only when used."""

from __future__ import annotations

from trendmon.settings import CoreSettings, KafkaSettings, LogSettings, load
from trendmon.streams.bus.base import Bus


def open_bus(core: CoreSettings | None = None) -> Bus:
    """The embedded log under ``core.home``, or Kafka, as ``core.bus`` says."""
    core = core or load(CoreSettings)
    if core.bus == "kafka":
        from trendmon.streams.bus.kafka import KafkaBus

        return KafkaBus(load(KafkaSettings))
    from trendmon.streams.bus.embedded import EmbeddedLog

    return EmbeddedLog(core.home, load(LogSettings))
