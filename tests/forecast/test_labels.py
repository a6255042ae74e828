"""Labels computed by hand on tiny histories."""

from __future__ import annotations

from tests.forecast.conftest import H0, snap
from trendmon.forecast.labels import entity_labels, gain, plays_at, top
from trendmon.forecast.observations import Observations


def test_increments_are_booked_in_the_hour_of_collection_per_scope() -> None:
    obs = Observations()
    obs.add(snap("v1", 0.5, 100, "dance", posted=0.0))  # new video: its 100 plays count
    obs.add(snap("v1", 1.5, 250, "dance", posted=0.0))  # +150 in hour 1
    obs.add(snap("v1", 1.2, 200, "dance", posted=0.0))  # older than the latest: ignored
    obs.add(snap("v1", 2.5, 240, "dance", posted=0.0))  # went down: adds nothing
    obs.add(snap("v2", 1.5, 9000, "dance", posted=-30.0, market="GB"))  # old, first seen: 0
    obs.add(snap("v2", 2.5, 9500, "dance", posted=-30.0, market="GB"))  # +500 in GB, hour 2
    us = obs.hours_of("hashtag:dance", "US")
    every = obs.hours_of("hashtag:dance", "all")
    assert (us[H0].gain, us[H0 + 1].gain) == (100, 150)
    assert H0 + 2 not in us  # nothing gained: no cell
    assert every[H0 + 2].gain == 500
    assert gain(every, H0, H0 + 3) == 750
    assert us[H0].new_videos == 1


def test_label_is_the_top_20_of_the_next_six_hours() -> None:
    obs = Observations()
    # 21 tags, tag i gains (i + 1) * 10 plays in hour 7: the top 20 are tags 1..20.
    for i in range(21):
        obs.add(snap(f"v{i}", 0.5, 1, f"t{i}", posted=-100))
        obs.add(snap(f"v{i}", 7.5, 1 + (i + 1) * 10, f"t{i}", posted=-100))
    labels = entity_labels(obs, "hashtag", "US", H0 + 2)
    assert labels == {f"hashtag:t{i}" for i in range(1, 21)}
    assert entity_labels(obs, "hashtag", "US", H0 + 8) == set()  # after the gains: nothing


def test_top_breaks_ties_by_key_and_skips_zero() -> None:
    assert top({"b": 1, "a": 1, "c": 0}, 5) == {"a", "b"}
    assert top({"b": 1, "a": 1}, 1) == {"a"}


def test_plays_at_24_hours_interpolates_between_close_sightings() -> None:
    obs = Observations()
    for hours, plays in ((1, 10), (23, 1000), (25, 1200)):
        obs.add(snap("v", hours, plays, "x"))
    assert plays_at(obs.videos["v"], 24) == 1100.0
    assert plays_at(obs.videos["v"], 12) is None  # 11 hours from any sighting
