"""What only the MongoDB history store does: server detection, errors, databases, indexes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import SecretStr
from pymongo import MongoClient
from pymongo.errors import BulkWriteError

from trendmon.errors import ServiceUnavailableError
from trendmon.settings import MongoSettings, describe
from trendmon.sinks.mongo.history import MongoHistory, Server, redact

FERRETDB_BUILD_INFO = {
    "version": "7.0.42",  # what FerretDB v1.24.2 claims
    "versionArray": [7, 0, 42, 0],
    "ferretdbVersion": "v1.24.2",
}


@pytest.mark.parametrize(
    ("info", "timeseries", "measurement_indexes"),
    [
        (FERRETDB_BUILD_INFO, False, False),
        ({"version": "4.4.29", "versionArray": [4, 4, 29, 0]}, False, False),
        ({"version": "5.0.31", "versionArray": [5, 0, 31, 0]}, True, False),
        ({"version": "7.0.14", "versionArray": [7, 0, 14, 0]}, True, True),
        ({}, False, False),
    ],
)
def test_server_detection_from_build_info(
    info: dict[str, Any], timeseries: bool, measurement_indexes: bool
) -> None:
    server = Server.from_build_info(info)
    assert server.timeseries is timeseries
    assert server.measurement_indexes is measurement_indexes


def test_uri_password_is_masked() -> None:
    assert redact("mongodb://ann:s3cret@db:27017/x") == "mongodb://ann:***@db:27017/x"
    assert redact("mongodb://db:27017/") == "mongodb://db:27017/"
    settings = MongoSettings(uri=SecretStr("mongodb://ann:s3cret@db/"))
    assert "s3cret" not in repr(settings)
    row = next(r for r in describe() if r["env"] == "TRENDMON_MONGO_URI")
    assert row["value"] in ("********", "")


def test_a_server_that_does_not_answer_is_service_unavailable() -> None:
    settings = MongoSettings(uri=SecretStr("mongodb://ann:s3cret@127.0.0.1:1/"), timeout_ms=200)
    with pytest.raises(ServiceUnavailableError) as info:
        MongoHistory(settings)
    message = str(info.value)
    assert "mongodb://ann:***@127.0.0.1:1/" in message
    assert "TRENDMON_MONGO_URI" in message
    assert "s3cret" not in message


class _Rejecting:
    """A collection whose inserts fail with the given write error codes."""

    def __init__(self, *codes: int) -> None:
        self.codes = codes

    def insert_many(self, docs: list[Any], ordered: bool) -> None:
        errors = [{"index": i, "code": c, "errmsg": "x"} for i, c in enumerate(self.codes)]
        raise BulkWriteError({"writeErrors": errors, "nInserted": 0})


def test_only_duplicate_key_errors_count_as_already_there() -> None:
    store = MongoHistory.__new__(MongoHistory)
    store._uri = "mongodb://x/"
    store._insert(_Rejecting(11000, 11000), [{"_id": 1}, {"_id": 2}])  # type: ignore[arg-type]
    with pytest.raises(BulkWriteError):
        store._insert(_Rejecting(11000, 121), [{"_id": 1}, {"_id": 2}])  # type: ignore[arg-type]


@pytest.mark.services
def test_snapshot_collection_and_replay_database(mongo_uri: str) -> None:
    base = f"test_hist_{uuid.uuid4().hex[:8]}"
    store = MongoHistory(MongoSettings(uri=SecretStr(mongo_uri), database=base), namespace="r1")
    try:
        assert store._db.name == f"{base}_r1"
        indexes = store._snapshots.index_information()
        assert store.timeseries is store.server.timeseries
        if not store.timeseries:  # FerretDB, or MongoDB before 5.0
            assert indexes["video_time"].get("unique") is True
            assert "entities" in indexes
        assert store.counts() == {"snapshots": 0, "scores": 0, "spikes": 0}
    finally:
        store.close()
        with MongoClient(mongo_uri) as client:
            client.drop_database(f"{base}_r1")
