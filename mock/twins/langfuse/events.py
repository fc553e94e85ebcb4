"""What each trace contains: its observations and scores, generated column-wise for a range of traces.

Every trace has three observations: the root SPAN "handle-request", the main GENERATION
"chat-completion" (model drawn from the mix in force), and a third that is a GENERATION "rerank" on
the secondary model (a few of those carry no model and no cost, as real SDK traces do), a SPAN
"retrieve" or an EVENT "guardrail-check". Scores arrive after the trace ends: "helpfulness" (NUMERIC,
EVAL), "user-feedback" (BOOLEAN, API) and "tone" (CATEGORICAL, ANNOTATION).

Arrays have one row per trace (observations and scores: three columns, one per slot), so a metrics
query over a day of traffic is a handful of numpy operations and only the rows a page returns become
dicts (mock/twins/langfuse/shapes.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mock.twins.langfuse import catalog
from mock.twins.langfuse.hashing import normal, uniform
from mock.twins.langfuse.schedule import Schedule
from mock.twins.langfuse.traffic import Traffic
from mock.twins.langfuse.world import World

OBSERVATION_TYPES = ("GENERATION", "SPAN", "EVENT")
OBSERVATION_NAMES = ("handle-request", "chat-completion", "rerank", "retrieve", "guardrail-check")
LEVELS = ("DEBUG", "DEFAULT", "WARNING", "ERROR")
STATUS_MESSAGES = {
    "WARNING": "Response truncated at max_tokens",
    "ERROR": "Upstream model error: 500 Internal Server Error",
}
GENERATION, SPAN, EVENT = 0, 1, 2
DEFAULT, WARNING, ERROR = 1, 2, 3
MAX_LATENCY_S = 120.0
MAX_SCORE_DELAY_S = 120.0
#: The latest an observation or score can start after its trace: how far back a window must look.
MAX_EVENT_OFFSET_S = 2 * MAX_LATENCY_S + MAX_SCORE_DELAY_S + 2.0
MODEL_LESS_SHARE = 0.05  # of "rerank" generations: SDK traces without a model name


@dataclass
class Batch:
    """Traces [lo, hi) and everything in them."""

    k: np.ndarray
    time: np.ndarray
    environment: np.ndarray  # index into catalog.ENVIRONMENTS
    name: np.ndarray  # index into catalog.TRACE_NAMES
    user: np.ndarray
    # observations: shape (n, 3)
    obs_type: np.ndarray
    obs_name: np.ndarray  # index into OBSERVATION_NAMES
    start: np.ndarray
    end: np.ndarray
    completion_start: np.ndarray  # nan when not a generation
    model: np.ndarray  # index into World.models, -1 for none
    input_tokens: np.ndarray  # 0 when not a generation
    output_tokens: np.ndarray
    input_cost: np.ndarray  # nan when no cost
    output_cost: np.ndarray
    level: np.ndarray
    # scores: shape (n, 3), slots in catalog order (numeric, boolean, categorical)
    score_present: np.ndarray
    score_value: np.ndarray  # numeric value; boolean 0/1; categorical index into catalog.TONES
    score_time: np.ndarray

    def __len__(self) -> int:
        return len(self.k)

    def select(self, mask: np.ndarray) -> Batch:
        """The traces where ``mask`` (one bool per trace) holds."""
        return Batch(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})

    @property
    def trace_end(self) -> np.ndarray:
        return self.end[:, 0]

    @property
    def total_cost(self) -> np.ndarray:
        """Per observation: input + output cost (nan when the observation has no cost)."""
        return self.input_cost + self.output_cost


SCORE_NAMES = (catalog.NUMERIC_SCORE, catalog.BOOLEAN_SCORE, catalog.CATEGORICAL_SCORE)
SCORE_SHARES = (0.6, 0.2, 0.05)  # of traces that get each score


def _lognormal(seed: int, k: np.ndarray, field: int, sigma: float) -> np.ndarray:
    return np.exp(sigma * normal(seed, k, field))


def _pick(shares: np.ndarray, u: np.ndarray) -> np.ndarray:
    edges = np.cumsum(shares / shares.sum())
    return np.minimum(np.searchsorted(edges, u, side="right"), len(shares) - 1)


class Generator:
    """Builds batches for one traffic state (world + schedule + arrivals)."""

    def __init__(self, world: World, schedule: Schedule, traffic: Traffic) -> None:
        self.world = world
        self.schedule = schedule
        self.traffic = traffic
        self.seed = world.noise_seed
        seeded = np.array([m.share for m in world.models])
        names = [m.name for m in world.models]
        self._mixes = [
            np.array([t.models.get(n, 0.0) for n in names]) if t.models else seeded for t in schedule.targets
        ]
        self._error = np.array([t.error_ratio for t in schedule.targets])
        self._warning = np.array([t.warning_ratio for t in schedule.targets])
        self._tokens = np.array([t.output_tokens for t in schedule.targets])
        self._numeric = np.array([t.scores.get(catalog.NUMERIC_SCORE, np.nan) for t in schedule.targets])
        self._boolean = np.array([t.scores.get(catalog.BOOLEAN_SCORE, np.nan) for t in schedule.targets])
        self._model_attr = {
            attr: np.array([getattr(m, attr) for m in world.models])
            for attr in ("input_price", "output_price", "input_tokens", "output_tokens", "ttft_s", "itl_s")
        }
        self._helpfulness = np.array([m.helpfulness for m in world.models])
        self._secondary = world.model_index(catalog.SECONDARY_MODEL)

    def batch(self, lo: int, hi: int) -> Batch:
        k = np.arange(lo, max(lo, hi), dtype=np.int64)
        n = len(k)
        seed = self.seed
        time, tid = self.traffic.times(k)
        u = lambda field: uniform(seed, k, field)  # noqa: E731 - a short local alias keeps the recipe legible
        environment = (u(10) >= self.world.production_share).astype(np.int64)
        name = _pick(np.array([0.7, 0.2, 0.1]), u(11))
        user = np.floor(self.world.users * u(12) ** 2).astype(np.int64)  # a few heavy users

        main_model = np.zeros(n, dtype=np.int64)
        for target_id in np.unique(tid):
            mask = tid == target_id
            main_model[mask] = _pick(self._mixes[target_id], u(20)[mask])
        attr = {key: values[main_model] for key, values in self._model_attr.items()}
        ttft = np.minimum(attr["ttft_s"] * _lognormal(seed, k, 21, 0.35), MAX_LATENCY_S / 4)
        out_tokens = np.maximum(
            1, np.round(attr["output_tokens"] * _lognormal(seed, k, 22, 0.5) * self._tokens[tid])
        )
        in_tokens = np.maximum(1, np.round(attr["input_tokens"] * _lognormal(seed, k, 23, 0.4)))
        latency = np.minimum(ttft + out_tokens * attr["itl_s"], MAX_LATENCY_S)
        gen_start = time + 0.01 + 0.14 * u(24)
        gen_end = gen_start + latency
        level_u = u(25)
        main_level = np.where(
            level_u < self._error[tid],
            ERROR,
            np.where(level_u < self._error[tid] + self._warning[tid], WARNING, DEFAULT),
        )

        third = _pick(np.array([0.4, 0.4, 0.2]), u(30))  # rerank | retrieve | guardrail
        third_type = np.array([GENERATION, SPAN, EVENT])[third]
        third_name = np.array([2, 3, 4])[third]
        is_rerank = third == 0
        model_less = is_rerank & (u(31) < MODEL_LESS_SHARE)
        sec = self._model_attr
        r_in = np.where(is_rerank, np.round(400 * _lognormal(seed, k, 32, 0.3)), 0)
        r_out = np.where(is_rerank, np.round(20 * _lognormal(seed, k, 33, 0.3)), 0)
        r_ttft = sec["ttft_s"][self._secondary] * _lognormal(seed, k, 34, 0.3)
        r_latency = np.minimum(r_ttft + r_out * sec["itl_s"][self._secondary], MAX_LATENCY_S)
        third_start = np.where(third == 1, time + 0.005, gen_end + 0.002)
        third_end = np.where(
            third == 0,
            third_start + r_latency,
            np.where(third == 1, third_start + 0.05 + 0.35 * u(35), third_start),
        )
        third_level = np.where((third == 2) & (u(36) < self._warning[tid]), WARNING, DEFAULT)
        third_level = np.where(is_rerank, np.where(u(37) < self._error[tid], ERROR, DEFAULT), third_level)
        root_end = np.maximum(gen_end, third_end) + 0.01 + 0.02 * u(38)

        nan = np.full(n, np.nan)
        zeros = np.zeros(n)
        rerank_model = np.where(is_rerank & ~model_less, self._secondary, -1)
        r_cost_in = np.where(rerank_model >= 0, r_in * sec["input_price"][self._secondary], np.nan)
        r_cost_out = np.where(rerank_model >= 0, r_out * sec["output_price"][self._secondary], np.nan)

        score_u = np.stack([u(40), u(41), u(42)], axis=1)
        present = score_u < np.array(SCORE_SHARES)
        numeric_mean = np.where(
            np.isnan(self._numeric[tid]), self._helpfulness[main_model], self._numeric[tid]
        )
        numeric = np.clip(np.round(numeric_mean + 0.12 * normal(seed, k, 43), 3), 0.0, 1.0)
        true_share = np.where(
            np.isnan(self._boolean[tid]), np.clip(numeric_mean + 0.08, 0, 1), self._boolean[tid]
        )
        boolean = (u(44) < true_share).astype(np.float64)
        rude = np.clip((0.85 - numeric_mean) * 0.8, 0.02, 0.6)
        tone_u = u(45)
        tone = np.where(tone_u < rude, 2.0, np.where(tone_u < rude + (1 - rude) / 2, 0.0, 1.0))
        delays = np.stack([5 + 115 * u(46), 10 + 110 * u(47), 30 + 90 * u(48)], axis=1)

        return Batch(
            k=k,
            time=time,
            environment=environment,
            name=name,
            user=user,
            obs_type=np.stack([np.full(n, SPAN), np.full(n, GENERATION), third_type], axis=1),
            obs_name=np.stack([np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64), third_name], axis=1),
            start=np.stack([time, gen_start, third_start], axis=1),
            end=np.stack([root_end, gen_end, third_end], axis=1),
            completion_start=np.stack(
                [nan, gen_start + ttft, np.where(is_rerank, third_start + r_ttft, np.nan)], axis=1
            ),
            model=np.stack([np.full(n, -1), main_model, rerank_model], axis=1),
            input_tokens=np.stack([zeros, in_tokens, r_in], axis=1).astype(np.int64),
            output_tokens=np.stack([zeros, out_tokens, r_out], axis=1).astype(np.int64),
            input_cost=np.stack([nan, in_tokens * attr["input_price"], r_cost_in], axis=1),
            output_cost=np.stack([nan, out_tokens * attr["output_price"], r_cost_out], axis=1),
            level=np.stack([np.full(n, DEFAULT), main_level, third_level], axis=1),
            score_present=present,
            score_value=np.stack([numeric, boolean, tone], axis=1),
            score_time=root_end[:, None] + delays,
        )
