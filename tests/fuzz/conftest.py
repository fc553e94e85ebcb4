"""Hypothesis profiles: ``ci`` (1000 examples per parser, the default of ``make test``), ``fuzz``
(``make fuzz``: 20 000 each) and ``dev`` (50, while writing a parser); HYPOTHESIS_PROFILE picks one.
Examples are derandomised in CI so a failure reproduces on the next run, and deadlines are off: this
machine's timing is not a property."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
settings.register_profile("ci", max_examples=1000, derandomize=True, database=None, **_COMMON)
settings.register_profile("fuzz", max_examples=20_000, **_COMMON)
settings.register_profile("dev", max_examples=50, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
