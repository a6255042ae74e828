"""Opening the stores that a runtime or the dashboard writes and reads.

The history's interface and the rules both backends share are in :mod:`trendmon.sinks.history`,
beneath the backends; this module, above them, picks one, so that the client of the other
backend is never imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from trendmon.accounts.sealing import Sealer
from trendmon.accounts.store import AccountStore
from trendmon.settings import DEFAULT_NAMESPACE, CoreSettings, MongoSettings, load
from trendmon.sinks.alerts import AlertStore
from trendmon.sinks.creator import CreatorStore
from trendmon.sinks.history import HistoryStore
from trendmon.sinks.keys import open_sealer


def open_history(
    backend: Literal["sqlite", "mongo"],
    *,
    home: Path | None = None,
    namespace: str = DEFAULT_NAMESPACE,
    mongo: MongoSettings | None = None,
) -> HistoryStore:
    """Open the history store of a runtime; the client of the other backend is never imported.

    >>> store = open_history("sqlite", home=Path(tmp))  # doctest: +SKIP
    """
    if backend == "sqlite":
        from trendmon.sinks.sqlite.history import SqliteHistory

        return SqliteHistory(home or load(CoreSettings).home, namespace=namespace)
    from trendmon.sinks.mongo.history import MongoHistory

    return MongoHistory(mongo or load(MongoSettings), namespace=namespace)


def open_alerts(
    backend: Literal["sqlite", "mongo"],
    *,
    home: Path | None = None,
    mongo: MongoSettings | None = None,
    sealer: Sealer | None = None,
) -> AlertStore:
    """Open the alert store of a runtime (``home/alerts.sqlite3``, or the ``alert_*``
    collections of MongoDB); the client of the other backend is never imported."""
    if backend == "sqlite":
        from trendmon.sinks.sqlite.alerts import SqliteAlerts

        where = home or load(CoreSettings).home
        return SqliteAlerts(where, sealer=sealer or open_sealer("sqlite", home=where))
    from trendmon.sinks.mongo.alerts import MongoAlerts

    return MongoAlerts(mongo or load(MongoSettings), sealer=sealer or open_sealer("mongo"))


def open_accounts(
    backend: Literal["sqlite", "mongo"],
    *,
    home: Path | None = None,
    mongo: MongoSettings | None = None,
) -> AccountStore:
    """Open the accounts beside the history of a runtime (SQLite file or MongoDB database).

    >>> store = open_accounts("sqlite", home=Path(tmp))  # doctest: +SKIP
    """
    if backend == "sqlite":
        from trendmon.sinks.sqlite.accounts import SqliteAccounts

        return SqliteAccounts(home or load(CoreSettings).home)
    from trendmon.sinks.mongo.accounts import MongoAccounts

    return MongoAccounts(mongo or load(MongoSettings))


def open_creator(
    backend: Literal["sqlite", "mongo"],
    *,
    home: Path | None = None,
    mongo: MongoSettings | None = None,
) -> CreatorStore:
    """Open the creator store (``home/creator.sqlite3``, or the ``creator_*`` collections of
    MongoDB): a creator's imported analytics; the client of the other backend is never imported.
    """
    if backend == "sqlite":
        from trendmon.sinks.sqlite.creator import SqliteCreator

        return SqliteCreator(home or load(CoreSettings).home)
    from trendmon.sinks.mongo.creator import MongoCreator

    return MongoCreator(mongo or load(MongoSettings))
