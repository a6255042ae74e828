"""The item parser against real TikTok payloads (values checked by hand in the raw files) and
small synthetic items for every way an item can be wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trendmon.events import Effect, VideoSnapshot
from trendmon.producers.itemstruct import BadItem, is_live_or_empty, parse_item

SAMPLES = (Path(__file__).resolve().parents[2] / "../shared/samples").resolve()
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def sample(name: str) -> Any:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"real TikTok samples not found at {SAMPLES} (shared/ beside the repo)")
    return json.loads(path.read_text(encoding="utf-8"))


def parse(item: dict[str, Any], market: str | None = None) -> VideoSnapshot:
    return parse_item(item, collected_at=NOW, source="trending", market=market)


def web_item(**overrides: Any) -> dict[str, Any]:
    """A minimal web itemStruct in the 2025 shape."""
    item: dict[str, Any] = {
        "id": "7400000000000000001",
        "desc": "hello #one",
        "createTime": 1735689600,
        "author": {"id": "6800000000000000001", "uniqueId": "someone", "nickname": "Some One"},
        "stats": {"playCount": 1000, "diggCount": 100, "commentCount": 10, "shareCount": 1},
        "music": {"id": "7100000000000000001", "title": "original sound"},
        "video": {"duration": 15},
    }
    item.update(overrides)
    return item


def test_old_trending_item_2021() -> None:
    item = sample("teerut26_trending_itemStruct_2021.json")[0]
    s = parse(item)
    assert s.video_id == "6982106906949176603"
    assert (s.author.id, s.author.unique_id) == ("6858400612863165441", "stampstampkab")
    assert (s.author.followers, s.author.following, s.author.hearts, s.author.videos) == (
        7338, 787, 80200, 239
    )
    assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.shares) == (
        257200, 11400, 93, 21
    )
    assert s.stats.saves is None  # no collectCount in 2021 items
    assert s.music is not None and s.music.id == "6964603430451153665"
    assert s.create_time == datetime.fromtimestamp(1625648448, UTC)
    assert (s.duration, s.hashtags, s.effects, s.market) == (26, (), (), "unknown")
    assert s.exact_counts is False  # 257200 looks rounded


def test_hashtags_from_challenges_and_text_extra_are_deduplicated() -> None:
    s = parse(sample("teerut26_trending_itemStruct_2021.json")[1])
    assert s.video_id == "6973647912953728262"
    assert s.hashtags == ("foryou", "funny", "cat", "dog")


def test_text_stickers_are_not_effects() -> None:
    item = sample("teerut26_trending_itemStruct_2021.json")[3]
    assert item["stickersOnItem"]
    assert parse(item).effects == ()


def test_item_with_author_stats_2022() -> None:
    s = parse(sample("ajervin1_itemStruct_2022.json"))
    assert s.video_id == "6943708918040366341"
    assert (s.author.id, s.author.unique_id, s.author.verified) == ("107955", "tiktok", True)
    assert (s.author.followers, s.author.hearts, s.author.videos) == (65000000, 277900000, 425)
    assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.shares, s.stats.saves) == (
        2500000, 106900, 18100, 1662, None
    )
    assert s.music is not None
    assert (s.music.id, s.music.title, s.music.author_name, s.music.original) == (
        "6943708750427491077", "original sound", "TikTok", True
    )
    assert s.hashtags == ("herstory",)
    assert s.create_time == datetime.fromtimestamp(1616708220, UTC)
    assert s.duration == 59


def test_sigi_item_with_bare_string_author_and_string_create_time() -> None:
    s = parse(sample("evil0ctal_readme_sigi_itemmodule_2022_trimmed.json"))
    assert s.video_id == "7045537727743380782"
    assert (s.author.id, s.author.unique_id, s.author.nickname) == (
        "7019018029121455109", "tvamii", "Ami"
    )
    assert (s.author.followers, s.author.hearts) == (4959, 116400)
    assert s.create_time == datetime.fromtimestamp(1640417086, UTC)
    assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.shares) == (
        133000, 56900, 69, 22
    )
    assert s.hashtags == ("warzone", "callofduty", "fyp", "rebirthisland")
    assert s.music is not None and s.music.id == "6995388223497259781"


def test_stats_v2_is_preferred_over_rounded_stats() -> None:
    page = sample("neovolkov_get_user_popular_post_2025.json")
    item = page["data"]["itemList"][0]
    assert item["stats"]["collectCount"] == 59100 and item["statsV2"]["collectCount"] == "59149"
    s = parse(item)
    assert s.video_id == "7498337886933191943"
    assert s.stats.saves == 59149
    assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.shares) == (
        14200000, 866000, 18900, 34700
    )
    assert (s.author.id, s.author.unique_id) == ("6799838955094836230", "zg.520")
    assert s.music is not None and s.music.id == "7492313461236632326"
    assert s.hashtags == ("china", "大国基建")
    assert s.create_time == datetime.fromtimestamp(1745842841, UTC)


def test_hashtags_in_contents_keep_non_latin_and_emoji() -> None:
    item = sample("neovolkov_get_user_post_2025.json")["data"]["itemList"][0]
    only_contents = {k: v for k, v in item.items() if k not in ("challenges", "textExtra")}
    s = parse(only_contents)
    assert s.video_id == "7513039993741397256"
    assert s.hashtags == ("china", "中国高铁🚅")
    assert s.duration == 18


def test_effects_market_and_ad_flag() -> None:
    item = web_item(
        effectStickers=[{"ID": "263840", "name": "Green Screen"}, {"ID": 1, "name": "x"}],
        locationCreated="gb",
        isAd=True,
    )
    s = parse(item, market="US")
    assert s.effects == (Effect(id="263840", name="Green Screen"), Effect(id="1", name="x"))
    assert (s.market, s.is_ad) == ("GB", True)
    assert parse(web_item(), market="US").market == "US"


def test_mobile_aweme_item(timeseries: Path) -> None:
    with (timeseries / "zexisx-api-feed" / "observations.jsonl").open("rb") as fp:
        fp.readline()
        item = json.loads(fp.readline())
    s = parse(item)
    assert s.video_id == "7335305790439427336"
    assert (s.author.id, s.author.unique_id) == ("6662859609184976902", "jypestraykids")
    assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.shares, s.stats.saves) == (
        14962574, 2706437, 66885, 54521, 362843
    )
    assert s.exact_counts is True
    # music.id is 7285319179224305000 as a JSON number: id_str keeps the real id.
    assert s.music is not None and s.music.id == "7285319179224304386"
    assert s.hashtags[:3] == ("straykids", "스트레이키즈", "승민")
    assert (s.market, s.duration) == ("KR", 22)  # 21618 ms
    assert s.create_time == datetime.fromtimestamp(1707883976, UTC)


def test_live_rooms_and_empty_ids() -> None:
    assert is_live_or_empty({"id": "", "liveRoomInfo": {}})
    assert is_live_or_empty({"aweme_id": "0"})
    assert not is_live_or_empty(web_item())
    with pytest.raises(BadItem) as caught:
        parse(web_item(id=""))
    assert caught.value.reason == "live room or empty id"


@pytest.mark.parametrize(
    ("stats", "reason", "field"),
    [
        ({"playCount": -5}, "negative count", "$.stats.playCount"),
        ({"playCount": "1.2M"}, "non-numeric count", "$.stats.playCount"),
        ({"playCount": float("nan")}, "not a number", "$.stats.playCount"),
        ({"playCount": [1]}, "wrong type", "$.stats.playCount"),
        ({"playCount": None}, "missing field", "$.stats.playCount"),
    ],
)
def test_bad_counts_name_the_field(stats: dict[str, Any], reason: str, field: str) -> None:
    item = web_item()
    item["stats"] = {**item["stats"], **stats}
    with pytest.raises(BadItem) as caught:
        parse(item)
    assert (caught.value.reason, caught.value.field) == (reason, field)


def test_counts_as_strings_and_integral_floats_are_read() -> None:
    item = web_item(stats={"playCount": "1000", "diggCount": 100.0, "commentCount": "7",
                           "shareCount": 0, "collectCount": ""})
    s = parse(item)
    assert (s.stats.plays, s.stats.likes, s.stats.comments, s.stats.saves) == (1000, 100, 7, None)


def test_description_over_the_limit_says_length_and_limit() -> None:
    with pytest.raises(BadItem) as caught:
        parse(web_item(desc="x" * 10_001))
    assert caught.value.reason == "description too long"
    assert "10,001" in str(caught.value) and "10,000" in str(caught.value)


def test_wrong_types_are_refused() -> None:
    with pytest.raises(BadItem) as caught:
        parse(web_item(stats=[1, 2]))
    assert (caught.value.reason, caught.value.field) == ("wrong type", "$.stats")
    with pytest.raises(BadItem):
        parse(web_item(createTime={"t": 1}))
    with pytest.raises(BadItem):
        parse_item([], collected_at=NOW, source="trending")  # type: ignore[arg-type]
