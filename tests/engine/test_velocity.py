"""Stage 1: deltas, velocity, duplicates, late snapshots, counters that go down, jumps, future."""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable

from trendmon.engine.velocity import Stage1, VideoState
from trendmon.events import VideoDelta, VideoSnapshot
from trendmon.settings import EngineSettings

from .factory import snap

V = "7000000000000000001"


def run(*snaps, settings: EngineSettings | None = None) -> tuple[Stage1, list[VideoDelta]]:  # type: ignore[no-untyped-def]
    stage = Stage1(settings or EngineSettings())
    out: list[VideoDelta] = []
    for s in snaps:
        stage.process(s, out)
    return stage, out


def test_consecutive_snapshots_give_deltas_and_velocity() -> None:
    _, out = run(
        snap(minutes=0, plays=1000, likes=100, created_minutes=-60),
        snap(minutes=5, plays=1600, likes=130, comments=12, shares=6, saves=3),
    )
    first, second = out
    assert first.first_sighting and first.prev_ms is None
    # Lifetime rate since create_time (1 h old, 1000 plays), flagged as a first sighting.
    assert first.velocity == 1000.0
    assert (second.d_plays, second.d_likes, second.d_comments, second.d_shares, second.d_saves) == (
        600,
        30,
        2,
        1,
        1,
    )
    assert second.plays == 1600 and second.prev_ms == first.collected_ms
    # 600 plays in 5 minutes is 7200/h; smoothing moves the rate towards it, not past it.
    assert first.velocity < second.velocity < 7200
    assert second.engagement_rate == (130 + 12 + 6 + 3) / 1600
    assert second.entities == (
        "hashtag:dance",
        "sound:6900000000000000001",
        "creator:6800000000000000001",
    )
    assert [d.seq for d in out] == [1, 2]


def test_first_sighting_of_an_old_video_credits_only_a_short_span() -> None:
    settings = EngineSettings(first_sighting_span_s=600)
    _, (d,) = run(snap(plays=1_000_000, created_minutes=-24 * 60), settings=settings)
    # 10 minutes of a day-long lifetime: 1/144 of the counts, not a burst of a million.
    assert d.d_plays == round(1_000_000 / 144)
    _, (unknown,) = run(snap(plays=5000, created_minutes=None))
    assert unknown.d_plays == 0 and unknown.first_sighting


def test_duplicates_never_count_twice() -> None:
    stage, out = run(snap(minutes=0), snap(minutes=5, plays=2000), snap(minutes=5, plays=2000))
    assert len(out) == 2 and stage.counters.duplicates == 1
    stage, out = run(snap(minutes=0), snap(minutes=5, plays=2000), snap(minutes=0, plays=1000))
    assert len(out) == 2 and stage.counters.duplicates == 1


def test_a_counter_that_goes_down_never_gives_negative_velocity() -> None:
    stage, out = run(
        snap(minutes=0, likes=500),
        snap(minutes=5, plays=1500, likes=480),
        snap(minutes=10, plays=2000, likes=520),
    )
    down, up = out[1], out[2]
    assert down.decreased and down.d_likes == 0 and down.likes == 500
    # Back above the high-water mark: only the part above it counts (no double count).
    assert up.d_likes == 20 and not up.decreased
    assert stage.counters.decreased == 1
    assert sum(d.d_likes for d in out[1:]) == 520 - 500


def test_late_snapshot_within_lateness_is_folded_into_its_own_bucket() -> None:
    # Buckets of 5 minutes; the 12-minute point arrives after the 17-minute one.
    stage, out = run(
        snap(minutes=0, plays=1000),
        snap(minutes=7, plays=2000),
        snap(minutes=17, plays=4000),
        snap(minutes=12, plays=3000),
    )
    assert stage.counters.late_folded == 1
    plus, minus = out[3], out[4]
    assert plus.correction and minus.correction
    assert plus.d_plays == 1000 and minus.d_plays == -1000
    assert plus.collected_ms < minus.collected_ms == out[2].collected_ms
    # Totals telescope: the sum of increments after the first sighting is unchanged.
    assert sum(d.d_plays for d in out[1:]) == 4000 - 1000


def test_late_snapshot_beyond_lateness_is_counted_not_applied() -> None:
    stage, out = run(
        snap(minutes=0),
        snap(minutes=30, plays=3000),
        snap(minutes=5, plays=1500),
        settings=EngineSettings(allowed_lateness_s=600),
    )
    assert len(out) == 2 and stage.counters.late_dropped == 1


def test_a_jump_of_orders_of_magnitude_waits_for_confirmation() -> None:
    glitch, out = run(
        snap(minutes=0, plays=10_000),
        snap(minutes=5, plays=50_000_000),
        snap(minutes=10, plays=11_000),
    )
    assert glitch.counters.jumps_held == 1 and glitch.counters.jumps_dropped == 1
    assert [d.plays for d in out] == [10_000, 11_000]
    real, out = run(
        snap(minutes=0, plays=10_000),
        snap(minutes=5, plays=50_000_000),
        snap(minutes=10, plays=60_000_000),
    )
    assert real.counters.jumps_dropped == 0
    assert [d.plays for d in out] == [10_000, 50_000_000, 60_000_000]


def test_a_gap_of_months_refuses_nothing() -> None:
    # A real archive: weeks between scrapes. The engine reads no clock and refuses nothing for
    # a gap (a snapshot from the future is refused against the wall clock where it enters).
    stage, out = run(
        snap(minutes=0),
        snap(video="7000000000000000002", minutes=60 * 24 * 90),
        snap(minutes=60 * 24 * 91, plays=1500),
    )
    assert stage.counters.rejected == [] and len(out) == 3


def test_names_are_bounded_and_empty_hashtags_skipped() -> None:
    _, (d,) = run(snap(tags=("x" * 10_000, "", "#", "ok")))
    assert d.entities[0] == "hashtag:" + "x" * 200
    assert "hashtag:ok" in d.entities and "hashtag:" not in d.entities


def test_memory_per_tracked_video_is_under_a_kilobyte() -> None:
    from .memory import bytes_per_video

    assert bytes_per_video(5000) < 1024


def test_a_held_jump_delivered_again_is_a_duplicate_even_after_a_restore() -> None:
    held = snap(minutes=5, plays=50_000_000)
    stage, out = run(snap(minutes=0, plays=10_000), held)
    # The state goes through the distributed runtime's table, then the input is redelivered.
    stage.videos = {k: VideoState.load(v.dump()) for k, v in stage.videos.items()}
    stage.process(held, out)
    stage.process(snap(minutes=10, plays=60_000_000), out)
    assert stage.counters.duplicates == 1
    assert [d.plays for d in out] == [10_000, 50_000_000, 60_000_000]
    assert [d.seq for d in out] == [1, 2, 3]


def test_idle_videos_are_forgotten_per_partition_when_its_watermark_enters_an_hour() -> None:
    settings = EngineSettings(video_idle_s=3600)
    one, _ = run(snap(minutes=0), snap(video="7000000000000000009", minutes=200), settings=settings)
    assert list(one.videos) == ["7000000000000000009"]
    assert one.evicted == ["7000000000000000001"]
    # With two partitions, each forgets on its own watermark: the other one has not moved.
    two = Stage1(settings, partitions=2)
    first = "7000000000000000001"
    other = next(
        v
        for v in (f"70000000000000000{i:02d}" for i in range(10, 99))
        if two.partition_of(v) != two.partition_of(first)
    )
    out: list[VideoDelta] = []
    two.process(snap(minutes=0), out)
    two.process(snap(video=other, minutes=200), out)
    assert set(two.videos) == {first, other}
    assert two.evicted == []


def _old_video(rate_at: Callable[[float], float], hours: float) -> list[VideoSnapshot]:
    """A video posted two days ago, seen every 15 minutes, gaining ``rate_at(hour)`` plays an
    hour."""
    plays, snaps = 5000.0, []
    for k in range(0, int(hours * 60) + 1, 15):
        snaps.append(snap(minutes=k, plays=int(plays), created_minutes=-48 * 60))
        plays += rate_at(k / 60) * 15 / 60
    return snaps


def _accelerated_hours(snaps: list[VideoSnapshot]) -> list[float]:
    _, out = run(*snaps)
    return [(d.collected_ms - out[0].collected_ms) / 3_600_000 for d in out if d.accelerated]


def test_a_push_building_up_over_two_hours_accelerates_and_a_daily_rhythm_does_not() -> None:
    # 40 plays an hour, then from hour 4 a push that takes it to 400 over two hours: it never
    # doubles from one scrape to the next, but does against where it was an hour before.
    ramp = _accelerated_hours(_old_video(lambda t: 40 + 360 * min(1.0, max(0.0, t - 4) / 2), 8))
    assert ramp and 4 < ramp[0] <= 5.25 and len(ramp) >= 4
    # A tag four times busier in the evening than in the morning is no push.
    rhythm = _accelerated_hours(
        _old_video(lambda t: 100 * (1 + 0.6 * math.sin(2 * math.pi * (t - 6) / 24)), 30)
    )
    assert rhythm == []


def test_a_video_still_rising_by_itself_is_no_push() -> None:
    # Posted 2 h 45 min before the first sighting, its own curve still climbing until 6 hours of
    # age (a star's video): against the slow rate it would double, but it is not 5 hours old.
    snaps = []
    plays = 20_000.0
    for k in range(0, 4 * 60 + 1, 15):
        snaps.append(snap(minutes=k, plays=int(plays), created_minutes=-165))
        age_h = (k + 165) / 60
        plays += 10_000 * min(age_h, 6.0) * 15 / 60
    assert _accelerated_hours(snaps) == []


def test_a_video_state_saved_before_the_slow_rate_existed_loads() -> None:
    st = VideoState()
    st.velocity, st.slow, st.entities, st.number = 12.5, 3.0, ("hashtag:a",), 7
    back = pickle.loads(pickle.dumps(st))
    assert (back.slow, back.velocity, back.entities) == (3.0, 12.5, ("hashtag:a",))
    assert back.number == 7  # a checkpoint keeps its stage's numbering with it
    assert VideoState.load(st.dump()).number == -1  # a table's state has no stage
    # A state in the video-state table from before the slow rate (and the number) starts at
    # the smoothed one.
    assert VideoState.load(st.dump()[:-2]).slow == 12.5


def test_a_delta_built_by_name_has_every_field_where_it_belongs() -> None:
    from trendmon.engine.velocity import delta

    # A distinct value per field, and each flag alone set in turn: a positional slip in
    # `delta` puts a value in another field's place.
    base: dict[str, object] = {}
    flags = []
    for i, (name, kind) in enumerate(
        zip(VideoDelta.__struct_fields__, VideoDelta.__annotations__.values(), strict=True)
    ):
        if name == "v":
            continue
        if kind == "bool":
            flags.append(name)
            base[name] = False
        elif "tuple" in kind:
            base[name] = (f"{name}:{i}",)
        elif kind == "str":
            base[name] = f"{name}-{i}"
        elif kind == "float":
            base[name] = i + 0.5
        else:
            base[name] = i
    assert len(flags) == 7 and len(base) == 28
    for flag in [None, *flags]:
        values = {**base, **({flag: True} if flag else {})}
        made = delta(**values)  # type: ignore[arg-type]
        assert {n: getattr(made, n) for n in values} == values
