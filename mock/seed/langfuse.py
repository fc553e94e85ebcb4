"""The Langfuse side of the seed: one project, its trace rate and its model mix.

Traces themselves are not stored: the twin generates them on the fly from these rows
(mock/twins/langfuse/traffic.py), deterministically, so weeks of history (or a million traces for the
benchmark) cost neither seed time nor disk. Everything here comes from a generator seeded from the
seed alone, so other upstreams' seed hooks never change these rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mock.twins.langfuse.catalog import MODELS

if TYPE_CHECKING:  # generate.py imports this module to call its hook
    from mock.seed.generate import SeedRows

HISTORY_DAYS = 28
TRACES_PER_S = 0.2  # ~17k traces a day: ~480k in the seeded history


def _jitter(rng: np.random.Generator, value: float, spread: float = 0.1) -> float:
    return float(value * rng.uniform(1.0 - spread, 1.0 + spread))


def fill_langfuse(rows: SeedRows, seed: int) -> None:
    """Add the Langfuse rows for ``seed`` (deterministic, own generator)."""
    rng = np.random.default_rng([seed, 0x4C46])  # "LF": a stream of its own
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"  # Langfuse project ids are cuids: "cl" + 23 of these
    project_id = "cl" + "".join(alphabet[i] for i in rng.integers(0, len(alphabet), 23))
    rows.add("langfuse_projects", id=project_id, name="llmon-demo", organization="llmon")
    rows.add(
        "langfuse_traffic",
        project_id=project_id,
        traces_per_s=round(_jitter(rng, TRACES_PER_S), 4),
        history_days=HISTORY_DAYS,
        production_share=round(float(rng.uniform(0.86, 0.94)), 3),
        users=int(rng.integers(150, 400)),
        release=f"v1.{int(rng.integers(10, 40))}.{int(rng.integers(0, 9))}",
        noise_seed=int(rng.integers(0, 2**31)),
    )
    for model in MODELS:
        rows.add(
            "langfuse_models",
            project_id=project_id,
            name=model.name,
            share=model.share,
            input_price=model.input_price,
            output_price=model.output_price,
            input_tokens=round(_jitter(rng, model.input_tokens)),
            output_tokens=round(_jitter(rng, model.output_tokens)),
            ttft_s=round(_jitter(rng, model.ttft_s), 3),
            itl_s=round(_jitter(rng, model.itl_s), 4),
            helpfulness=round(min(0.95, _jitter(rng, model.helpfulness, 0.03)), 3),
        )
