"""The GPU exporter under every NVML answer a driver can give (issue 10, item 1).

NVML is a C library reached through ctypes: the process boundary is its Python binding. The fuzzed
binding is the NVML twin (mock/twins/gpu, real SKU data) with a drawn fault plan on top: for a few of
the functions the exporter calls, an NVML error code instead of the answer, or an answer of the wrong
shape (None, negative, beyond 64 bits, NaN, a string where a number belongs, an empty struct). One
scrape per plan, through the exporter's collection path; invariants in fuzzing.py.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fuzzing import FuzzRun
from hypothesis import given
from hypothesis import strategies as st

from exporters.gpu.config import GpuSettings
from exporters.gpu.sources import build_source
from mock.twins.gpu.errors import CODES
from mock.twins.gpu.nvml import StandInNvml

NASTY_ANSWERS: tuple[Any, ...] = (
    None,
    -1,
    2**64,
    math.nan,
    math.inf,
    "garbage",
    b"\xff\xfe",
    [],
    [None],
    SimpleNamespace(),
    (1, 2),
)


class FaultyNvml:
    """The twin's NVML module with some functions answering errors or malformed values."""

    def __init__(self, module: StandInNvml, plan: dict[str, Any]) -> None:
        self._module = module
        self._plan = plan

    def __getattr__(self, name: str) -> Any:
        original = getattr(self._module, name)
        if name not in self._plan or not callable(original):
            return original
        fault = self._plan[name]

        def faulty(*args: Any, **kwargs: Any) -> Any:
            original(*args, **kwargs)  # the twin still sees the call (counts, init state)
            if isinstance(fault, _Code):
                raise self._module.NVMLError(fault.value)
            return fault

        return faulty


class _Code(int):
    """An NVML return code in a plan (an int subclass so plans print readably)."""

    @property
    def value(self) -> int:
        return int(self)


FUNCTIONS = sorted(
    name for name in dir(StandInNvml) if name.startswith("nvml") and name not in {"nvmlInit", "nvmlShutdown"}
)
FAULTS = st.one_of(st.sampled_from([_Code(code) for code in CODES.values()]), st.sampled_from(NASTY_ANSWERS))
PLANS = st.dictionaries(st.sampled_from(FUNCTIONS), FAULTS, min_size=1, max_size=6)


def test_any_nvml_answer_costs_at_most_that_field(db_path: Path, tmp_path: Path) -> None:
    settings = GpuSettings(
        gpu_backend="mock",
        gpu_mock_db=db_path,
        path_procfs=tmp_path / "proc",
        collector_xid=False,
        collector_workloads=False,
    )
    twin = StandInNvml(db_path, settings.gpu_mock_host, cache_s=3600.0)
    run = FuzzRun()

    @given(PLANS)
    def one_example(plan: dict[str, Any]) -> None:
        source = build_source(settings, FaultyNvml(twin, plan))
        try:
            run.collect([source])
        finally:
            source.close()

    one_example()
    run.finish()
    assert run.failures_by_reason, "no fault plan was ever counted: the fuzzing is toothless"
