"""The real test services answer and behave as the adapters assume (``make services``)."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

import pytest

from trendmon.partitioner import partition_for

pytestmark = pytest.mark.services

PARTITIONS = 4


def test_kafka_round_trip_keeps_partitions_and_order(kafka_bootstrap: str) -> None:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic

    topic = f"test-services-{uuid.uuid4().hex[:12]}"
    keys = [f"video-{n}" for n in range(40)]
    sent = [(key, f"{key}:{i}".encode()) for i in range(5) for key in keys]

    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(topic, PARTITIONS, 1)], wait_for_metadata=True)

        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        try:
            futures = [producer.send(topic, key=key.encode(), value=value) for key, value in sent]
            producer.flush()
            acked = [future.get(timeout=10) for future in futures]
        finally:
            producer.close()
        assert [meta.partition for meta in acked] == [partition_for(k, PARTITIONS) for k, _ in sent]
        # The keys spread over every partition, so the check above means something.
        assert {meta.partition for meta in acked} == set(range(PARTITIONS))

        consumer = KafkaConsumer(
            bootstrap_servers=kafka_bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        received: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
        try:
            consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
            deadline = time.monotonic() + 30
            while sum(map(len, received.values())) < len(sent) and time.monotonic() < deadline:
                for batch in consumer.poll(timeout_ms=500).values():
                    for record in batch:
                        received[record.partition].append((record.key.decode(), record.value))
        finally:
            consumer.close()
    finally:
        admin.delete_topics([topic])
        admin.close()

    expected: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
    for key, value in sent:
        expected[partition_for(key, PARTITIONS)].append((key, value))
    assert received == expected


def test_redis_set_and_get(redis_url: str) -> None:
    import redis

    key = f"trendmon:test-services:{uuid.uuid4().hex}"
    with redis.Redis.from_url(redis_url) as client:
        try:
            assert client.ping()
            client.set(key, "42", ex=60)
            assert client.get(key) == b"42"
        finally:
            client.delete(key)


def test_mongodb_insert_find_and_build_info(mongo_uri: str) -> None:
    from pymongo import MongoClient

    name = f"test_services_{uuid.uuid4().hex[:12]}"
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        try:
            info = client.admin.command("buildInfo")
            assert info["ok"] == 1
            assert info["version"]
            collection = client[name]["videos"]
            collection.insert_one({"_id": "v1", "plays": 7, "author": "a"})
            assert collection.find_one({"author": "a"}) == {"_id": "v1", "plays": 7, "author": "a"}
        finally:
            client.drop_database(name)
