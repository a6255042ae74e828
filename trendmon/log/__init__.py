"""The log, a bus: where producers publish and the runtimes read.

Two implementations of one small interface (:class:`~trendmon.log.base.Bus`): the
embedded durable log (SQLite under ``TRENDMON_HOME``) and Kafka. :func:`open_bus` picks one from
settings; the Kafka client is imported only when Kafka is used.
"""

from trendmon.log.base import Bus, Message, Record
from trendmon.log.factory import open_bus

__all__ = ["Bus", "Message", "Record", "open_bus"]
