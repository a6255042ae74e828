"""Opening the bus that settings choose; heavy clients are imported only when used."""

from __future__ import annotations

from trendmon.log.base import Bus
from trendmon.settings import CoreSettings, KafkaSettings, LogSettings, load


def open_bus(core: CoreSettings | None = None) -> Bus:
    """The embedded log under ``core.home``, or Kafka, as ``core.bus`` says."""
    core = core or load(CoreSettings)
    if core.bus == "kafka":
        from trendmon.log.kafka import KafkaBus

        return KafkaBus(load(KafkaSettings))
    from trendmon.log.embedded import EmbeddedLog

    return EmbeddedLog(core.home, load(LogSettings))
