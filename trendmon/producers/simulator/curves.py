"""The shapes of the world: how plays accrue, how entities rise and fade, how TikTok rounds.

All times are epoch seconds (int or float); every function here is pure.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

HOUR = 3600.0
DAY = 24 * HOUR


def reach_fraction(age_s: float, tau_s: float, shape: float) -> float:
    """Share of a video's eventual plays it has at ``age_s``: a log-logistic curve.

    ``x**k / (1 + x**k)`` with ``x = age/tau``: plays per hour rise over the first hours (peak at
    ``tau * ((k-1)/(k+1))**(1/k)``, about half of ``tau`` for ``k = 2``), then decay as a power
    law over days, which is how real videos' view counts behave (a heavy tail, not exponential).
    """
    if age_s <= 0:
        return 0.0
    x: float = (age_s / tau_s) ** shape
    return x / (1.0 + x)


def round_count(value: int) -> int:
    """TikTok's rounding, as the real samples show it: exact below 10,000, then one decimal of
    K (steps of 100), of M from a million (steps of 100,000), of B from a billion (half up).

    >>> round_count(9_999), round_count(427_682), round_count(1_234_567)
    (9999, 427700, 1200000)
    """
    if value < 10_000:
        return value
    unit = 100 if value < 999_950 else 100_000 if value < 999_950_000 else 100_000_000
    return (value + unit // 2) // unit * unit


def diurnal(t: float, utc_offset_h: float, amplitude: float = 0.45) -> float:
    """Posting activity by local hour: ``1 - amplitude`` before dawn to ``1 + amplitude`` at
    20:00, mean 1 (0.55 to 1.45 by default)."""
    hour = (t / HOUR + utc_offset_h) % 24.0
    return 1.0 + amplitude * math.cos(2 * math.pi * (hour - 20.0) / 24.0)


def evening(t: float, utc_offset_h: float, peak: float) -> float:
    """A sharp evening habit: 1 most of the day, ``peak`` at 20:00 local, mean about
    ``1 + 0.27 * (peak - 1)`` (a tag busy every evening)."""
    hour = (t / HOUR + utc_offset_h) % 24.0
    return 1.0 + (peak - 1.0) * max(0.0, math.cos(2 * math.pi * (hour - 20.0) / 24.0)) ** 4


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """An entity's popularity over time: emerges, rises to ``peak``, then declines.

    Rise is a half Gaussian of width ``rise_s`` (slow: a day or so, so organic entities never jump
    within a few snapshot intervals); decline is exponential with time constant ``fall_s``.
    ``floor`` is a constant part (evergreen entities have only a floor).
    """

    peak: float
    rise_s: float
    fall_s: float
    amplitude: float
    floor: float = 0.0
    born: float = field(init=False)
    """From here on the entity is used at all (popularity above ~0.2% of its peak)."""
    gone: float = field(init=False)
    """After this the entity is no longer picked for new videos."""

    def __post_init__(self) -> None:
        # Fields rather than properties: entity picking reads them for every entity in a pool.
        evergreen = self.floor > 0
        object.__setattr__(self, "born", -math.inf if evergreen else self.peak - 3.5 * self.rise_s)
        object.__setattr__(self, "gone", math.inf if evergreen else self.peak + 6.0 * self.fall_s)

    def popularity(self, t: float) -> float:
        d = t - self.peak
        shape = math.exp(-0.5 * (d / self.rise_s) ** 2) if d < 0 else math.exp(-d / self.fall_s)
        return self.floor + self.amplitude * shape


@dataclass(frozen=True, slots=True)
class Surge:
    """A planted breakout's boost over time: zero before ``onset``, then a sharp take-off.

    ``level(t)`` climbs as ``1 - exp(-(t - onset)/ramp_s)`` (most of the way within two or three
    ramps, i.e. a few snapshot intervals), holds for ``hold_s``, then fades with ``decay_s``. The
    posting rate of the entity is multiplied by ``1 + (rate_mult - 1) * level`` and the expected
    reach of its new videos by ``1 + (reach_mult - 1) * level``.
    """

    onset: float
    ramp_s: float
    hold_s: float
    decay_s: float
    rate_mult: float
    reach_mult: float

    def level(self, t: float) -> float:
        if t < self.onset:
            return 0.0
        d = t - self.onset
        up = 1.0 - math.exp(-d / self.ramp_s)
        if d > self.hold_s:
            up *= math.exp(-(d - self.hold_s) / self.decay_s)
        return up

    def rate_factor(self, t: float) -> float:
        return 1.0 + (self.rate_mult - 1.0) * self.level(t)

    def reach_factor(self, t: float) -> float:
        return 1.0 + (self.reach_mult - 1.0) * self.level(t)

    @property
    def end(self) -> float:
        """When the boost has faded below 1% of its height."""
        return self.onset + self.hold_s + 4.6 * self.decay_s


def poisson_times(
    rng: random.Random, t0: float, t1: float, rate: Callable[[float], float], rate_max: float
) -> list[int]:
    """Event times (whole seconds) of a Poisson process of ``rate(t)`` per second on [t0, t1).

    Thinning (Lewis and Shedler): candidates at ``rate_max``, each kept with ``rate(t)/rate_max``.
    """
    times: list[int] = []
    if rate_max <= 0:
        return times
    t = t0
    while True:
        t += rng.expovariate(rate_max)
        if t >= t1:
            return times
        if rng.random() * rate_max < rate(t):
            times.append(int(t))
