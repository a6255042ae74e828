"""Buses: where producers publish and the engine reads.

Two implementations of one small interface (:class:`~trendmon.streams.bus.base.Bus`): the
embedded durable log (SQLite under ``TRENDMON_HOME``) and Kafka. :func:`open_bus` picks one from
settings; the Kafka client is imported only when Kafka is used.
"""

from trendmon.streams.bus.base import Bus, Message, Record, partition_for
from trendmon.streams.bus.factory import open_bus

__all__ = ["Bus", "Message", "Record", "open_bus", "partition_for"]
