"""The Kafka bus (distributed mode), with kafka-python.

Producing: idempotent producer with ``acks=all``, key = the message key (video id for snapshots),
message timestamp = event time, so that replay by time (``offsets_for_times``) means event time.
Topics are created on first use with the partitions, replication and retention from
:class:`~trendmon.settings.KafkaSettings`; every name carries ``topic_prefix``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from trendmon.errors import BusError, ServiceUnavailableError
from trendmon.log.base import Message, Record, Tally, TopicStats
from trendmon.settings import KafkaSettings

_POLL_MS = 200


class KafkaBus:
    """Topics on a Kafka cluster. Clients connect lazily, on first use."""

    def __init__(self, settings: KafkaSettings | None = None) -> None:
        self.settings = settings or KafkaSettings()
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdminClient | None = None
        self._known: set[str] = set()

    # -- clients ------------------------------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.settings.bootstrap_servers.split(","),
            "client_id": self.settings.client_id,
            "request_timeout_ms": self.settings.request_timeout_ms,
        }

    def _unavailable(self, exc: Exception) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"Kafka at {self.settings.bootstrap_servers} did not answer ({exc}); start it "
            "(make services) or set TRENDMON_KAFKA_BOOTSTRAP_SERVERS"
        )

    @property
    def admin(self) -> KafkaAdminClient:
        if self._admin is None:
            try:
                self._admin = KafkaAdminClient(**self._common())
            except KafkaError as exc:
                raise self._unavailable(exc) from None
        return self._admin

    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            try:
                self._producer = KafkaProducer(
                    **self._common(),
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=5,
                    batch_size=256 * 1024,
                    compression_type=None,
                )
            except KafkaError as exc:
                raise self._unavailable(exc) from None
        return self._producer

    def _consumer(self) -> KafkaConsumer:
        try:
            return KafkaConsumer(
                **self._common(),
                group_id=None,
                enable_auto_commit=False,
                consumer_timeout_ms=_POLL_MS,
            )
        except KafkaError as exc:
            raise self._unavailable(exc) from None

    def name(self, topic: str) -> str:
        """The broker-side name of a topic (with the prefix)."""
        return f"{self.settings.topic_prefix}{topic}"

    # -- topics -------------------------------------------------------------------------------

    def create_topic(
        self, topic: str, partitions: int | None = None, configs: dict[str, str] | None = None
    ) -> None:
        """Create a topic with partitions, replication and retention from settings (``configs``
        adds to or overrides the topic's configuration)."""
        if topic in self._known:
            return
        new = NewTopic(
            name=self.name(topic),
            num_partitions=partitions or self.settings.partitions,
            replication_factor=self.settings.replication,
            topic_configs={
                "retention.ms": str(int(self.settings.retention_hours * 3_600_000)),
                **(configs or {}),
            },
        )
        try:
            self.admin.create_topics([new])
        except TopicAlreadyExistsError:
            pass
        except KafkaError as exc:
            raise self._unavailable(exc) from None
        self._known.add(topic)

    def topics(self) -> list[str]:
        prefix = self.settings.topic_prefix
        try:
            names = self.admin.list_topics()
        except KafkaError as exc:
            raise self._unavailable(exc) from None
        return sorted(n[len(prefix) :] for n in names if n.startswith(prefix))

    def _bounds(
        self, topic: str
    ) -> tuple[list[TopicPartition], dict[TopicPartition, int], dict[TopicPartition, int]]:
        """A topic's partitions with the first offset each holds and the next it will take."""
        consumer = self._consumer()
        try:
            parts = self._partitions(consumer, topic)
            return parts, consumer.beginning_offsets(parts), consumer.end_offsets(parts)
        except KafkaError as exc:
            raise self._unavailable(exc) from None
        finally:
            consumer.close()

    def _partitions(self, consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
        name = self.name(topic)
        parts = consumer.partitions_for_topic(name)
        if not parts:
            raise BusError(
                f"no topic {name!r} on {self.settings.bootstrap_servers}; check "
                "TRENDMON_KAFKA_TOPIC_PREFIX, or publish to it first"
            )
        return [TopicPartition(name, p) for p in sorted(parts)]

    # -- writing ------------------------------------------------------------------------------

    def publish(self, topic: str, messages: Iterable[Message]) -> int:
        """Send and wait for every acknowledgement; return how many were sent."""
        self.create_topic(topic)
        name = self.name(topic)
        futures = [
            self.producer.send(name, key=m.key.encode(), value=m.value, timestamp_ms=m.timestamp_ms)
            for m in messages
        ]
        self.producer.flush()
        try:
            for future in futures:
                future.get(timeout=self.settings.request_timeout_ms / 1000)
        except KafkaError as exc:
            raise self._unavailable(exc) from None
        return len(futures)

    # -- reading ------------------------------------------------------------------------------

    def read(
        self,
        topic: str,
        *,
        from_offset: int | None = None,
        from_time_ms: int | None = None,
        to_time_ms: int | None = None,
        limit: int | None = None,
        follow: bool = False,
        from_offsets: dict[int, int] | None = None,
        from_end: bool = False,
    ) -> Iterator[Record]:
        """Records of every partition, from an offset (per partition) or from an event time.

        ``from_offsets`` gives a start per partition number instead of one for all.
        """
        consumer = self._consumer()
        try:
            parts = self._partitions(consumer, topic)
            consumer.assign(parts)
            begin = consumer.beginning_offsets(parts)
            end = consumer.end_offsets(parts)
            starts = {
                tp: max(begin[tp], (from_offsets or {}).get(tp.partition, from_offset or 0))
                for tp in parts
            }
            if from_end:
                starts = dict(end)
            if from_time_ms is not None:
                found = consumer.offsets_for_times(dict.fromkeys(parts, from_time_ms))
                for tp in parts:
                    at = found.get(tp)
                    starts[tp] = max(starts[tp], at.offset if at is not None else end[tp])
            for tp in parts:
                consumer.seek(tp, starts[tp])
            pending = {tp for tp in parts if starts[tp] < end[tp]}
            remaining = limit
            while follow or pending:
                batch = consumer.poll(timeout_ms=_POLL_MS)
                for tp, messages in batch.items():
                    for m in messages:
                        if not follow and m.offset >= end[tp]:
                            pending.discard(tp)
                            break
                        if to_time_ms is None or m.timestamp < to_time_ms:
                            yield Record(
                                topic,
                                m.partition,
                                m.offset,
                                m.key.decode() if m.key is not None else None,
                                m.timestamp,
                                m.value,
                            )
                            if remaining is not None:
                                remaining -= 1
                                if remaining <= 0:
                                    return
                        if not follow and m.offset + 1 >= end[tp]:
                            pending.discard(tp)
        except KafkaError as exc:
            raise self._unavailable(exc) from None
        finally:
            consumer.close()

    def tail(self, topic: str, n: int) -> list[Record]:
        """The last ``n`` records: each partition read from its own end minus ``n``."""
        if n <= 0:
            return []
        parts, begin, end = self._bounds(topic)
        records = list(
            self.read(
                topic, from_offsets={tp.partition: max(begin[tp], end[tp] - n) for tp in parts}
            )
        )
        return sorted(records, key=lambda r: (r.timestamp_ms, r.partition, r.offset))[-n:]

    def count(self, topic: str) -> int:
        return self.stats(topic).records

    def tallies(self, topic: str, from_time_ms: int | None = None) -> list[Tally] | None:
        """None: the brokers count records per partition only (see :attr:`Message.tally`)."""
        return None

    def stats(self, topic: str) -> TopicStats:
        parts, begin, end = self._bounds(topic)
        by_partition = {tp.partition: end[tp] - begin[tp] for tp in parts}
        return TopicStats(
            topic=topic,
            records=sum(by_partition.values()),
            partitions=len(parts),
            next_offset=max(end.values(), default=0),
            by_partition=by_partition,
        )

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
            self._producer = None
        if self._admin is not None:
            self._admin.close()
            self._admin = None
