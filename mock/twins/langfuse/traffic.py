"""When traces happen: a rate per one-minute bucket over the history and the scenario time played.

The cumulative rate integral over the buckets (numpy cumsum) is the index by time. Trace number k,
counted from the start of the history, happens where the integral crosses ``k + jitter(k)``
(jitter in [0, 1)): arrival times are strictly ordered by k, a time window maps to an index range by
binary search, and a trace never moves once its bucket exists, because a bucket's rate is fixed by the
targets at its start (a scenario switch inside a minute takes effect at the next minute).

History (before the clock origin, ``history_days`` long) has the calm application's traffic; scenario
time has the seeded rate times the scenario's ``traffic``. Both follow a diurnal and weekday shape in
UTC plus a little per-bucket noise. ``history_traces`` rescales only the history, so a benchmark can
compare 10 thousand with 1 million historical traces while the live traffic stays the same.
"""

from __future__ import annotations

import math

import numpy as np

from mock.twins.langfuse.hashing import uniform
from mock.twins.langfuse.schedule import Schedule
from mock.twins.langfuse.world import World

BUCKET_S = 60.0
DAY_S = 86400.0
WEEKDAY_FACTORS = np.array([1.0, 1.05, 1.1, 1.0, 0.95, 0.45, 0.35])  # Monday .. Sunday
_JITTER_FIELD = 1
_NOISE_FIELD = 2


def traffic_shape(starts: np.ndarray, seed: int) -> np.ndarray:
    """Relative rate of each bucket: weekday x time of day x +-15 % noise (mean about 0.85)."""
    days = np.floor(starts / DAY_S).astype(np.int64)
    weekday = WEEKDAY_FACTORS[(days + 3) % 7]  # 1970-01-01 was a Thursday
    hour = (starts % DAY_S) / 3600.0
    diurnal = 1.0 + 0.5 * np.sin(2.0 * np.pi * (hour - 8.0) / 24.0)  # peaks at 14:00 UTC
    buckets = np.floor(starts / BUCKET_S).astype(np.int64)
    noise = 1.0 + 0.3 * (uniform(seed, buckets, _NOISE_FIELD) - 0.5)
    return weekday * diurnal * noise


class Traffic:
    """Trace arrivals from the start of the history up to ``now`` (virtual unix time)."""

    def __init__(
        self,
        world: World,
        origin: float,
        schedule: Schedule,
        tau_now: float,
        history_traces: int | None = None,
    ) -> None:
        self.seed = world.noise_seed
        self.origin = origin
        self.built_at = origin + tau_now  # arrivals are defined up to the end of this minute bucket
        self.start = origin - world.history_days * DAY_S
        history_buckets = int(world.history_days * DAY_S / BUCKET_S)
        live_buckets = max(1, math.ceil(tau_now / BUCKET_S) + 1)
        count = history_buckets + live_buckets
        self.bucket_starts = self.start + BUCKET_S * np.arange(count, dtype=np.float64)
        shape = traffic_shape(self.bucket_starts, self.seed)
        self.targets_ids = np.zeros(count, dtype=np.int64)
        self.targets_ids[history_buckets:] = schedule.ids_at(
            BUCKET_S * np.arange(live_buckets, dtype=np.float64)
        )
        multiplier = np.array([t.traffic for t in schedule.targets])[self.targets_ids]
        mass = world.traces_per_s * BUCKET_S * shape * multiplier
        if history_traces is not None:
            history_mass = mass[:history_buckets].sum()
            mass[:history_buckets] *= history_traces / history_mass if history_mass > 0 else 0.0
        self.mass = mass
        self.cumulative = np.concatenate([[0.0], np.cumsum(mass)])
        self.history_total = int(self.first_at_or_after(origin))

    def _integral(self, t: float) -> float:
        """Expected traces before virtual time ``t``."""
        position = (t - self.start) / BUCKET_S
        if position <= 0:
            return 0.0
        bucket = min(int(position), len(self.mass) - 1)
        return float(self.cumulative[bucket] + self.mass[bucket] * min(1.0, position - bucket))

    def first_at_or_after(self, t: float) -> int:
        """Index of the first trace whose time is >= t (the count of traces before t)."""
        x = self._integral(t)
        candidate = max(0, math.ceil(x) - 1)
        jitter = float(uniform(self.seed, np.array([candidate]), _JITTER_FIELD)[0])
        return candidate if candidate + jitter >= x else candidate + 1

    def index_range(self, a: float, b: float) -> tuple[int, int]:
        """Trace indices [lo, hi) with times in [a, b) (callers clip b to what is visible)."""
        if b <= a:
            lo = self.first_at_or_after(a)
            return lo, lo
        return self.first_at_or_after(a), self.first_at_or_after(b)

    def times(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(virtual unix time, targets id) of each trace index."""
        v = k.astype(np.float64) + uniform(self.seed, k, _JITTER_FIELD)
        bucket = np.clip(np.searchsorted(self.cumulative, v, side="right") - 1, 0, len(self.mass) - 1)
        within = (v - self.cumulative[bucket]) / np.where(self.mass[bucket] > 0, self.mass[bucket], 1.0)
        return self.bucket_starts[bucket] + BUCKET_S * np.clip(within, 0.0, 1.0), self.targets_ids[bucket]
