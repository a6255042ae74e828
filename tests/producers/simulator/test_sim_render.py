"""itemStruct lines: realistic size, and the item parser reads back what was rendered."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import orjson

from trendmon.events import utc
from trendmon.producers.itemstruct import parse_item
from trendmon.producers.simulator import ItemStructRenderer, Simulation, event_line
from trendmon.settings import SimulatorSettings


def test_itemstruct_lines_are_real_sized_and_parse_back(
    small: Callable[..., SimulatorSettings],
) -> None:
    renderer = ItemStructRenderer()
    pairs = list(itertools.islice(Simulation(small(hours=2)).observations(), 3000))
    for video, snapshot in pairs[::37]:
        line = renderer.line(video, snapshot)
        assert line.endswith(b"}\n") and 5_000 <= len(line) <= 30_000
        item = orjson.loads(line)
        assert item == orjson.loads(orjson.dumps(renderer.item(video, snapshot)))
        assert item["statsV2"]["playCount"] == str(snapshot.stats.plays)
        parsed = parse_item(
            item, collected_at=utc(item["_collected_at"]), source="import:itemstruct"
        )
        assert parsed.video_id == snapshot.video_id
        assert parsed.collected_at == snapshot.collected_at
        assert parsed.stats == snapshot.stats
        assert parsed.market == snapshot.market
        assert parsed.create_time == snapshot.create_time
        assert parsed.hashtags == snapshot.hashtags
        assert parsed.author == snapshot.author
        assert parsed.music == snapshot.music
        assert parsed.effects == snapshot.effects


def test_event_lines_are_one_json_object_each(small: Callable[..., SimulatorSettings]) -> None:
    snapshot = next(Simulation(small(hours=1)).snapshots())
    line = event_line(snapshot)
    assert line.count(b"\n") == 1 and orjson.loads(line)["type"] == "video_snapshot"
