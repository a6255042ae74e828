"""The one way the MongoDB stores connect: the same timeouts, retries and time zone for each."""

from __future__ import annotations

from typing import Any

from pymongo import MongoClient

from trendmon.settings import MongoSettings

Doc = dict[str, Any]


def connect(settings: MongoSettings, app: str) -> MongoClient[Doc]:
    """A client of ``settings.uri`` named ``trendmon-{app}`` in the server's logs."""
    timeout = settings.timeout_ms
    return MongoClient(
        settings.uri.get_secret_value(),
        tz_aware=True,
        retryWrites=True,
        retryReads=True,
        serverSelectionTimeoutMS=timeout,
        connectTimeoutMS=timeout,
        appname=f"trendmon-{app}",
    )
