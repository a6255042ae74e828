"""The event schema: round trip of every field, typed errors naming the field, event ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from trendmon.errors import SchemaError, SchemaVersionError
from trendmon.events import (
    Author,
    DeadLetter,
    Effect,
    Music,
    SourceHealth,
    Stats,
    VideoSnapshot,
    counts_look_exact,
    decode_event,
    decode_snapshot,
    encode,
    new_snapshot,
    normalize_tag,
    utc,
)

T0 = datetime(2026, 1, 5, 12, 30, tzinfo=UTC)


def full_snapshot() -> VideoSnapshot:
    """A snapshot with every field set to a non-default value."""
    return new_snapshot(
        video_id="7301234567890123456",
        collected_at=T0,
        source="hashtag:dance",
        market="US",
        create_time=T0 - timedelta(hours=5),
        description="Nouvelle danse 💃 #Dance <b>bold</b>",
        duration=23,
        author=Author(
            id="6801234567890123456",
            unique_id="dancer.one",
            nickname="Dancer One ✨",
            verified=True,
            followers=1_234_567,
            following=12,
            hearts=98_765_432,
            videos=345,
        ),
        music=Music(
            id="7001234567890123999", title="original sound", author_name="Dancer", original=True
        ),
        hashtags=["#Dance", "fyp", "DANCE", "  ", "舞蹈"],
        effects=[Effect(id="1234567", name="Green Screen")],
        stats=Stats(plays=1_234_567, likes=234_567, comments=3_456, shares=789, saves=12_345),
        exact_counts=True,
        is_ad=True,
    )


def test_round_trip_keeps_every_field() -> None:
    snap = full_snapshot()
    wire = encode(snap)
    back = decode_snapshot(wire)
    assert back == snap
    as_json = msgspec.json.decode(wire)
    assert as_json["type"] == "video_snapshot" and as_json["v"] == 1
    assert as_json["collected_at"] == "2026-01-05T12:30:00Z"
    assert as_json["author"]["followers"] == 1_234_567
    assert as_json["music"]["id"] == "7001234567890123999"
    assert as_json["effects"] == [{"id": "1234567", "name": "Green Screen"}]
    # Hashtags are normalised (no '#', case-folded), deduplicated, empties dropped, order kept.
    assert back.hashtags == ("dance", "fyp", "舞蹈")
    # Every field of the schema is present on the wire.
    assert set(as_json) == {"type", *VideoSnapshot.__struct_fields__}


def test_event_id_is_deterministic_and_content_based() -> None:
    a, b = full_snapshot(), full_snapshot()
    assert a.event_id == b.event_id
    later = new_snapshot(
        video_id=a.video_id,
        collected_at=T0 + timedelta(minutes=5),
        source=a.source,
        author=a.author,
        stats=a.stats,
    )
    assert later.event_id != a.event_id


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["stats"].update(plays=-5), "$.stats.plays"),
        (lambda d: d["stats"].update(likes="12"), "$.stats.likes"),
        (lambda d: d["stats"].update(comments=1.5), "$.stats.comments"),
        (lambda d: d.update(video_id=""), "$.video_id"),
        (lambda d: d.update(video_id=7301234567890123456), "$.video_id"),
        (lambda d: d.update(collected_at="2026-01-05T12:30:00"), "$.collected_at"),
        (lambda d: d.update(source="somewhere"), "$.source"),
        (lambda d: d.update(market="usa"), "$.market"),
        (lambda d: d.update(description="x" * 10_001), "$.description"),
        (lambda d: d["author"].pop("id"), "$.author"),
        (lambda d: d.pop("stats"), None),
    ],
)
def test_invalid_fields_raise_schema_error_naming_the_field(mutate, field) -> None:  # type: ignore[no-untyped-def]
    data = msgspec.json.decode(encode(full_snapshot()))
    mutate(data)
    with pytest.raises(SchemaError) as info:
        decode_snapshot(msgspec.json.encode(data))
    assert info.value.field == field
    if field:
        assert field in str(info.value)
    else:
        assert "stats" in str(info.value)


def test_unknown_version_is_a_version_error() -> None:
    data = msgspec.json.decode(encode(full_snapshot()))
    data["v"] = 2
    with pytest.raises(SchemaVersionError, match="upgrade trendmon"):
        decode_snapshot(msgspec.json.encode(data))


@pytest.mark.parametrize(
    "raw", [b"", b"{", b'{"type": "video_snapshot", "v": 1', b"\xff\xfe", b"NaN"]
)
def test_broken_bytes_raise_schema_error(raw: bytes) -> None:
    with pytest.raises(SchemaError):
        decode_snapshot(raw)


def test_new_snapshot_validates_what_it_builds() -> None:
    with pytest.raises(SchemaError, match=r"\$\.stats\.plays"):
        new_snapshot(
            video_id="1",
            collected_at=T0,
            source="trending",
            author=Author(id="2", unique_id="a"),
            stats=Stats(plays=-1, likes=0, comments=0, shares=0),
        )


def test_decode_event_dispatches_on_type() -> None:
    letter = DeadLetter(reason="bad", origin="f.json:3", at=T0, raw="{")
    health = SourceHealth(target="trending", checked_at=T0, ok=False, consecutive_failures=3)
    assert decode_event(encode(letter)) == letter
    assert decode_event(encode(health)) == health
    assert decode_event(encode(full_snapshot())) == full_snapshot()


def test_utc_accepts_the_shapes_producers_meet() -> None:
    assert utc(1_700_000_000) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert utc("1700000000") == utc(1_700_000_000)
    assert utc("2023-11-14T22:13:20Z") == utc(1_700_000_000)
    assert utc(datetime(2023, 11, 14, 22, 13, 20)) == utc(1_700_000_000)
    with pytest.raises(ValueError):
        utc(float("nan"))


def test_rounded_counts_are_recognised() -> None:
    assert counts_look_exact(Stats(plays=9_999, likes=1, comments=0, shares=0))
    assert counts_look_exact(Stats(plays=1_234_567, likes=10_001, comments=0, shares=0))
    assert not counts_look_exact(Stats(plays=1_200_000, likes=5, comments=0, shares=0))
    assert not counts_look_exact(Stats(plays=427_700, likes=5, comments=0, shares=0))
    # 1.23M is not a step TikTok shows (1.2M): an exact count that happens to end in zeros.
    assert counts_look_exact(Stats(plays=1_230_000, likes=5, comments=0, shares=0))
    assert not counts_look_exact(Stats(plays=5, likes=5, comments=0, shares=0, saves=45_600))


def test_normalize_tag_bounds_length() -> None:
    assert normalize_tag("#" + "A" * 10_000) == "a" * 200
    assert normalize_tag(" # ") == ""
