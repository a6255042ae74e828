"""The creator store: one suite against SQLite (embedded) and MongoDB or FerretDB
(distributed): real exports in, the same days, posts and snapshots out, idempotently."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from trendmon.creator.detect import read_exports
from trendmon.creator.records import Export
from trendmon.settings import MongoSettings
from trendmon.sinks.creator import CreatorStore
from trendmon.sinks.factory import open_creator

TODAY = date(2026, 12, 5)
HAILEY = (
    "studio2026_haileytupy_overview-365d.csv",
    "studio2026_haileytupy_follower-history.csv",
    "studio2026_haileytupy_viewers.csv",
    "studio2026_haileytupy_follower-activity.csv",
    "studio2026_haileytupy_follower-gender.csv",
    "studio2026_haileytupy_follower-top-territories.csv",
    "studio2026_haileytupy_content.csv",
    "dyd2026_haileytupy_posts-EXCERPT.json",
)


@pytest.fixture(params=["sqlite", pytest.param("mongo", marks=pytest.mark.services)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CreatorStore]:
    if request.param == "sqlite":
        s = open_creator("sqlite", home=tmp_path / "home")
        yield s
        s.close()
        return
    uri = request.getfixturevalue("mongo_uri")
    settings = MongoSettings(uri=uri, database=f"creator_{uuid.uuid4().hex[:10]}")
    s = open_creator("mongo", mongo=settings)
    yield s
    s.close()
    from pymongo import MongoClient

    with MongoClient(uri) as client:
        client.drop_database(settings.database)


def exports(folder: Path, *names: str) -> list[Export]:
    return read_exports([(n, (folder / n).read_bytes()) for n in names], today=TODAY)


def save_all(store: CreatorStore, items: list[Export], account: str = "hailey") -> list[dict]:
    import msgspec

    return [msgspec.to_builtins(store.save(account, e)) for e in items]


def test_an_export_set_round_trips(store: CreatorStore, account_exports: Path) -> None:
    save_all(store, exports(account_exports, *HAILEY))
    days = store.days("hailey", "2026-02-27", "2026-02-27")
    assert days == [{
        "date": "2026-02-27", "views": 18237, "profile_views": 15, "likes": 30, "comments": 0,
        "shares": 6, "followers": 5013, "followers_net": 3, "viewers": 15752,
        "viewers_new": 9979, "viewers_returning": 5773,
    }]  # fmt: skip
    assert len(store.days("hailey")) == 365
    as_of, territories = store.audience("hailey", "territory")
    assert as_of == "2026-02-28" and territories[0].key == "US" and territories[0].share == 0.462
    assert {s.key: s.share for s in store.audience("hailey", "gender")[1]}["Female"] == 0.59
    activity = {(a.date, a.hour): a.active for a in store.activity("hailey")}
    assert activity[("2026-02-21", 0)] == 491 and ("2026-02-27", 20) not in activity
    posts = store.posts("hailey")
    assert len(posts) == 16 and posts[0].posted_at == "2026-02-28T14:50:03Z"
    (row,) = store.accounts()
    assert row["account"] == "hailey" and row["followers"] == 5013 and row["days"] == 365
    assert row["last_day"] == "2026-02-27" and row["posts"] == 16


def test_the_same_export_twice_stores_the_same(store: CreatorStore, account_exports: Path) -> None:
    first = save_all(store, exports(account_exports, *HAILEY))
    before = (store.days("hailey"), store.posts("hailey"), store.activity("hailey"),
              store.audience("hailey", "territory"), store.accounts())  # fmt: skip
    second = save_all(store, exports(account_exports, *HAILEY))
    after = (store.days("hailey"), store.posts("hailey"), store.activity("hailey"),
             store.audience("hailey", "territory"), store.accounts())  # fmt: skip
    assert before == after
    assert sum(s["days_added"] for s in first) == 365
    assert all(s["days_added"] == s["days_updated"] == s["posts_added"] == 0 for s in second)
    assert len(store.imports("hailey")) == len(HAILEY)


def test_overlapping_exports_newer_day_wins_in_any_order(store: CreatorStore) -> None:
    head = b'"Date","Video Views","Profile Views","Likes","Comments","Shares"\n'
    older = head + b'"2026-02-01","100","1","1","1","1"\n"2026-02-02","200","2","2","2","2"'
    newer = head + b'"2026-02-02","250","2","2","2","2"\n"2026-02-03","300","3","3","3","3"'
    a = read_exports([("old.csv", older)], today=TODAY)
    b = read_exports([("new.csv", newer)], today=TODAY)
    store.save("x", b[0])
    store.save("x", a[0])
    store.save("y", a[0])
    store.save("y", b[0])
    assert store.days("x") == store.days("y")
    assert [d["views"] for d in store.days("x")] == [100, 250, 300]


def test_accounts_are_kept_apart(store: CreatorStore, account_exports: Path) -> None:
    save_all(store, exports(account_exports, "studio2021_weatherchannel_last-60-days.csv"), "wc")
    save_all(store, exports(account_exports, "studio2022_corymink_total-followers.csv"), "cm")
    assert [a["account"] for a in store.accounts()] == ["cm", "wc"]
    assert store.days("cm", "2022-06-23", "2022-06-23")[0]["followers"] == 9790
    assert store.days("wc", "2021-01-15", "2021-01-15")[0]["views"] == 342
    assert store.days("nobody") == [] and store.posts("nobody") == []


def test_posts_from_two_sources_merge(store: CreatorStore, account_exports: Path) -> None:
    save_all(store, exports(account_exports, "bizsuite2025_vintagerest_content.csv"), "v")
    (post,) = [p for p in store.posts("v") if p.video_id == "7567452112981069079"]
    assert (post.views, post.saves) == (172353, 180)
    assert "Плевен" in post.caption
