"""A synthetic TikTok world to test trend detection against (``trendmon simulate``).

The model, module by module:

- **World** (:mod:`.world`, :mod:`.names`): ``creators`` creators, each in one market, with
  followers on a rank-size (Zipf, exponent 1.6) law with log-normal noise, so the top 1% hold most
  followers; the largest few are verified. Hashtags, sounds and effects are *entities* with a
  :class:`~.curves.Lifecycle`: organic ones are born at a steady rate per market (and globally),
  rise as a half Gaussian over 12-36 hours to a Pareto-distributed peak popularity and decline
  over one to three days; evergreen ones (``fyp``, market tags, big topic tags, catalogue sounds,
  common effects) keep a constant popularity.
- **Posting** (:mod:`.posting`): about ``videos`` videos per ``hours``, a Poisson process per
  market (markets weighted 1, 1/sqrt 2, 1/sqrt 3, ...) with a daily rhythm in local time. A new
  video's creator is drawn by activity, its hashtags and sound by the entities' current
  popularity (30% use an original sound), its expected reach grows with its creator's followers
  (``(400 + 0.08 * followers)`` times a log-normal factor).
- **Curves** (:mod:`.curves`): a video's plays follow a log-logistic curve (plays per hour peak
  a few hours after posting, then decay as a power law over days); likes, comments, shares and
  saves grow as noisy ratios of plays (about 7%, 0.25%, 0.3%, 0.6%). Counts of 10,000 and more
  are rounded as TikTok shows them (one decimal of K, M or B) when ``round_counts``
  (``exact_counts`` is then False).
- **Breakouts** (:mod:`.breakouts`): ``breakouts`` planted entities per ``hours`` (hashtags,
  sounds, creators in turn, markets in turn) with a realistic baseline until their onset, then a
  sharp take-off at the onset; the exact truth is written by :func:`write_truth`.
- **Observation** (:mod:`.observe`): every video younger than ``lifetime_h`` is observed every
  ``interval_s`` with jitter; a share arrives late and a share twice (a second scraper).
- **Pacing** (:mod:`.clock`) and **output shapes** (:mod:`.render`).

Everything random comes from ``random.Random`` instances seeded from ``seed`` (one per chunk of
the world, one for observation), and nothing reads the wall clock in fast mode: the same settings
give byte-identical output::

    sim = Simulation(SimulatorSettings(seed=3, hours=6))
    for snapshot in sim.snapshots():   # VideoSnapshot, in arrival order
        ...
    write_truth(Path("truth.json"), sim.truth())
"""

from trendmon.producers.simulator.breakouts import write_truth
from trendmon.producers.simulator.clock import FastClock, RealClock, wall_now
from trendmon.producers.simulator.observe import Counters, Simulation
from trendmon.producers.simulator.render import ItemStructRenderer, event_line

__all__ = [
    "Counters",
    "FastClock",
    "ItemStructRenderer",
    "RealClock",
    "Simulation",
    "event_line",
    "wall_now",
    "write_truth",
]
