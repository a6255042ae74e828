"""Every real sample file imports, with values checked by hand in the raw files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from trendmon.errors import FormatError
from trendmon.events import Effect

Run = Callable[..., Any]
NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # what the run fixture passes as collected_at


@pytest.mark.parametrize(
    ("name", "fmt", "count"),
    [
        ("teerut26_trending_itemStruct_2021.json", "itemstruct", 10),
        ("ajervin1_itemStruct_2022.json", "itemstruct", 1),
        ("evil0ctal_readme_sigi_itemmodule_2022_trimmed.json", "itemstruct", 1),
        ("neovolkov_get_user_post_2025.json", "itemstruct", 1),
        ("neovolkov_get_user_popular_post_2025.json", "itemstruct", 1),
        ("smaranjitghose_tiktok_trend_flattened_2021.json", "flat-json", 30),
        ("smaranjitghose_tiktokdata_preprocessed_2021.csv", "flat-csv", 30),
    ],
)
def test_every_video_sample_imports(samples: Path, run: Run, name: str, fmt: str,
                                    count: int) -> None:
    result = run(samples / name)
    assert result.format == fmt
    assert result.rejects == []
    assert len(result.snapshots) == count
    assert all(s.source == f"import:{fmt}" for s in result.snapshots)


def test_user_profile_sample_is_refused_with_a_clear_message(samples: Path, run: Run) -> None:
    # /api/user/detail/ holds an account, not a single video: nothing to make snapshots of.
    with pytest.raises(FormatError, match=r"user profile .* holds no videos"):
        run(samples / "neovolkov_get_user_detail_2025.json")


def test_page_wrapper_takes_collection_time_from_extra_now(samples: Path, run: Run) -> None:
    result = run(samples / "neovolkov_get_user_post_2025.json", collected_at=None)
    (s,) = result.snapshots
    assert s.video_id == "7513039993741397256"
    assert s.collected_at == datetime.fromtimestamp(1760940141, UTC)  # data.extra.now, in ms
    assert s.stats.saves == 5012 and s.hashtags == ("china", "中国高铁🚅")


def test_list_of_items_without_time_takes_the_flag_then_the_file_time(
    samples: Path, run: Run
) -> None:
    path = samples / "teerut26_trending_itemStruct_2021.json"
    result = run(path)
    assert {s.collected_at for s in result.snapshots} == {NOW}
    assert result.stream.notes == []
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    result = run(path, collected_at=None, file_time=mtime)
    assert {s.collected_at for s in result.snapshots} == {mtime}
    assert any("10 records had no collection time" in note for note in result.stream.notes)
    assert result.stream.position == result.stream.size == path.stat().st_size


def test_flat_json_rows(samples: Path, run: Run) -> None:
    result = run(samples / "smaranjitghose_tiktok_trend_flattened_2021.json")
    first = result.snapshots[0]
    assert first.video_id == "6914157190987271430"
    assert (first.author.id, first.author.unique_id) == ("6815401436291580934", "666zomey")
    assert (first.stats.plays, first.stats.likes, first.stats.comments, first.stats.shares) == (
        26500000, 3500000, 73100, 271100
    )
    assert first.music is not None and first.music.id == "6914157155620801286"
    assert first.create_time == datetime.fromtimestamp(1609827712, UTC)
    assert first.hashtags[:3] == ("juliusthesnake", "python", "snakes")  # from the description
    (with_effects,) = [s for s in result.snapshots if s.effects]
    assert with_effects.video_id == "6954131473645440262"
    assert with_effects.author.unique_id == "caylabritt"
    assert with_effects.effects == (
        Effect(id="459585", name="Green Screen Video"), Effect(id="278032", name="Green Screen")
    )
    assert with_effects.stats.plays == 2800000


def test_flat_csv_rows(samples: Path, run: Run) -> None:
    result = run(samples / "smaranjitghose_tiktokdata_preprocessed_2021.csv")
    first = result.snapshots[0]
    assert first.video_id == "7015233884103200006"
    assert (first.author.id, first.author.unique_id, first.author.verified) == (
        "6714972068805805061", "sasoqua", False  # "False" in the CSV is not truthy
    )
    assert (first.stats.plays, first.stats.likes, first.stats.comments, first.stats.shares) == (
        577400, 16000, 205, 522
    )
    assert first.music is not None and first.music.id == "6914530565300226049"
    assert first.music.original is False
    assert first.create_time == datetime.fromtimestamp(1633361422, UTC)
    (green,) = [s for s in result.snapshots if s.effects]
    # effectStickers holds Python text in the CSV: "[{'name': 'Green Screen', 'ID': '263840'}]"
    assert green.video_id == "7015211130830212357"
    assert green.effects == (Effect(id="263840", name="Green Screen"),)
    assert (green.duration, green.hashtags) == (55, ("fitness",))


def test_format_flag_overrides_detection(samples: Path, run: Run) -> None:
    result = run(samples / "ajervin1_itemStruct_2022.json", format="itemstruct")
    assert result.format == "itemstruct" and len(result.snapshots) == 1
