"""Small simulated worlds: seconds to run, big enough to show the model's shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from trendmon.settings import SimulatorSettings

SMALL: dict[str, Any] = {
    "seed": 11, "creators": 80, "videos": 240, "markets": "US,GB", "hours": 8,
    "lifetime_h": 6, "interval_s": 600, "breakouts": 3, "duplicate_share": 0.02,
    "late_share": 0.02, "late_max_s": 1800, "breakout_spread": 0.0,
}


@pytest.fixture
def small() -> Callable[..., SimulatorSettings]:
    """Settings of a small world, with overrides."""

    def make(**overrides: Any) -> SimulatorSettings:
        return SimulatorSettings(**{**SMALL, **overrides})

    return make
