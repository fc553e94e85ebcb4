"""Scenario files: what the mocked host does over time, validated when loaded.

A scenario is ``mock/scenarios/<name>.yml``. It lists phases; each phase starts at an offset (seconds
of scenario time) and sets *targets*: rates (CPU time per mode, disk and network throughput, PSI
stall fractions) and levels (memory used, load per core, temperatures, filesystem fill). Values move
linearly from the previous phase's targets to the new ones over the phase's ``ramp`` seconds, so every
target is a piecewise-linear function of time: that is what lets the engine integrate counters in
closed form (see mock/engine.py).

A phase only names what changes; anything it leaves out keeps the previous phase's value, and the first
phase starts from ``CALM`` (an idle-ish server: the state the host was in before the scenario began).

The file format, field by field::

    name: peak-load                 # must equal the file name without .yml
    description: one sentence
    duration: 600                   # seconds; optional unless loop is true
    loop: false                     # true: the phases repeat every `duration` seconds
    noise: 0.03                     # relative amplitude of the deterministic noise, 0..0.05
    alerts: [HostHighCpuUtilisation]            # alerts that must fire (at least pending)
    panels: ["llmon-server-health/CPU utilisation"]   # "<dashboard uid>/<panel title>" showing data
    phases:
      - start: 0                    # first phase starts at 0; starts strictly increase
        ramp: 30                    # seconds to move from the previous targets to these
        name: ramp-up               # optional label
        host:
          cpu: {user: 0.7, system: 0.18, nice: 0, iowait: 0.03, irq: 0.01, softirq: 0.03, steal: 0}
          load_per_core: 1.6        # 1-minute load average divided by the number of CPUs
          memory_used_ratio: 0.94   # 1 - MemAvailable/MemTotal
          psi: {cpu_some: 0.5, memory_some: 0.3, memory_full: 0.12, io_some: 0.08, io_full: 0.03,
                irq_full: 0.001}    # fraction of wall time stalled
          disk: {read_bytes: 2.0e8, write_bytes: 1.5e8, read_ops: 3000, write_ops: 2000}  # per second
          network: {receive_bytes: 1.2e9, transmit_bytes: 8.0e8}                          # per second
          temperatures: {cpu: 78, nvme: 55}                                               # celsius
          filesystems:
            /data: {used_ratio: 0.97}   # level target (ramped), or
            /var/log: {fill_rate: 1.0e6} # bytes per second (negative frees space)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mock.errors import ScenarioFileError, UnknownScenarioError
from mock.scenario_containers import ContainerTargets
from mock.twins.gpu.targets import GpuTargets
from mock.twins.langfuse.targets import LangfuseTargets
from mock.twins.litellm.targets import LitellmTargets
from mock.twins.vllm.targets import VllmTargets

SCENARIOS_DIR = Path(__file__).with_name("scenarios")
DEFAULT_SCENARIO = "normal"

CPU_MODES = ("user", "nice", "system", "iowait", "irq", "softirq", "steal")
PSI_LINES = ("cpu_some", "memory_some", "memory_full", "io_some", "io_full", "irq_full")

# The longest noise amplitude the CPU budget allows: busy * (1 + noise) must stay <= 1.
MAX_NOISE = 0.05
# Loops shorter than this would make the engine's noise buckets span several periods.
MIN_LOOP_SECONDS = 60.0

Ratio = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0)]
Celsius = Annotated[float, Field(ge=-40.0, le=150.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CpuTargets(_Strict):
    """Fraction of each CPU's time spent in each mode; idle is the rest."""

    user: Ratio | None = None
    nice: Ratio | None = None
    system: Ratio | None = None
    iowait: Ratio | None = None
    irq: Ratio | None = None
    softirq: Ratio | None = None
    steal: Ratio | None = None


class PsiTargets(_Strict):
    """Fraction of wall time with some/all runnable tasks stalled, per resource (/proc/pressure)."""

    cpu_some: Ratio | None = None
    memory_some: Ratio | None = None
    memory_full: Ratio | None = None
    io_some: Ratio | None = None
    io_full: Ratio | None = None
    irq_full: Ratio | None = None


class DiskTargets(_Strict):
    """Host-wide block I/O per second, spread over the disks by their seeded share."""

    read_bytes: Rate | None = None
    write_bytes: Rate | None = None
    read_ops: Rate | None = None
    write_ops: Rate | None = None


class NetworkTargets(_Strict):
    """Host-wide traffic per second, spread over the physical NICs by their seeded share."""

    receive_bytes: Rate | None = None
    transmit_bytes: Rate | None = None


class TemperatureTargets(_Strict):
    """Temperature per sensor kind; each sensor adds its seeded offset."""

    cpu: Celsius | None = None
    nvme: Celsius | None = None


class FilesystemTarget(_Strict):
    """Either a used-ratio level (ramped) or a fill rate in bytes per second (negative frees)."""

    used_ratio: Ratio | None = None
    fill_rate: float | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> FilesystemTarget:
        if (self.used_ratio is None) == (self.fill_rate is None):
            raise ValueError("give exactly one of used_ratio or fill_rate")
        return self


class HostTargets(_Strict):
    cpu: CpuTargets = CpuTargets()
    load_per_core: Annotated[float, Field(ge=0.0, le=64.0)] | None = None
    memory_used_ratio: Annotated[float, Field(ge=0.0, le=0.995)] | None = None
    psi: PsiTargets = PsiTargets()
    disk: DiskTargets = DiskTargets()
    network: NetworkTargets = NetworkTargets()
    temperatures: TemperatureTargets = TemperatureTargets()
    filesystems: dict[Annotated[str, Field(pattern=r"^/")], FilesystemTarget] = {}


class Phase(_Strict):
    start: Annotated[float, Field(ge=0.0)]
    ramp: Annotated[float, Field(ge=0.0)] = 0.0
    name: str | None = None
    host: HostTargets = HostTargets()
    containers: ContainerTargets = ContainerTargets()  # see mock/scenario_containers.py
    litellm: LitellmTargets | None = None  # see mock/twins/litellm/targets.py
    vllm: VllmTargets | None = None  # see mock/twins/vllm/targets.py
    langfuse: LangfuseTargets | None = None  # see mock/twins/langfuse/targets.py
    gpu: GpuTargets = GpuTargets()  # see mock/twins/gpu/targets.py


# The host before any scenario: also what a phase inherits for anything no earlier phase set.
CALM: dict[str, float] = {
    "cpu.user": 0.14,
    "cpu.nice": 0.002,
    "cpu.system": 0.05,
    "cpu.iowait": 0.006,
    "cpu.irq": 0.002,
    "cpu.softirq": 0.008,
    "cpu.steal": 0.0,
    "load_per_core": 0.22,
    "memory_used_ratio": 0.42,
    "psi.cpu_some": 0.02,
    "psi.memory_some": 0.001,
    "psi.memory_full": 0.0002,
    "psi.io_some": 0.008,
    "psi.io_full": 0.003,
    "psi.irq_full": 0.0005,
    "disk.read_bytes": 3.5e7,
    "disk.write_bytes": 2.2e7,
    "disk.read_ops": 520.0,
    "disk.write_ops": 380.0,
    "network.receive_bytes": 9.0e7,
    "network.transmit_bytes": 6.5e7,
    "temperatures.cpu": 48.0,
    "temperatures.nvme": 40.0,
}
# Channel order is the column order of the engine's value matrices.
CHANNELS: tuple[str, ...] = tuple(CALM)


def phase_channels(targets: HostTargets) -> dict[str, float]:
    """The channel values a phase sets explicitly, flattened to "group.field" keys."""
    out: dict[str, float] = {}
    for group in ("cpu", "psi", "disk", "network", "temperatures"):
        for field, value in getattr(targets, group).model_dump().items():
            if value is not None:
                out[f"{group}.{field}"] = float(value)
    for level in ("load_per_core", "memory_used_ratio"):
        value = getattr(targets, level)
        if value is not None:
            out[level] = float(value)
    return out


class Scenario(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    description: Annotated[str, Field(min_length=1)]
    duration: Annotated[float, Field(gt=0.0)] | None = None
    loop: bool = False
    noise: Annotated[float, Field(ge=0.0, le=MAX_NOISE)] = 0.02
    alerts: list[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]]
    panels: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*/\S.*$")]]
    phases: Annotated[list[Phase], Field(min_length=1)]

    @model_validator(mode="after")
    def _timeline_is_consistent(self) -> Scenario:
        starts = [p.start for p in self.phases]
        if starts[0] != 0:
            raise ValueError("phases.0.start: the first phase must start at 0")
        for i in range(1, len(starts)):
            if starts[i] <= starts[i - 1]:
                raise ValueError(f"phases.{i}.start: phase starts must strictly increase")
        if self.loop:
            if self.duration is None:
                raise ValueError("duration: a looping scenario needs a duration")
            if self.duration < MIN_LOOP_SECONDS:
                raise ValueError(f"duration: a looping scenario lasts at least {MIN_LOOP_SECONDS:g} s")
        if self.duration is not None and starts[-1] >= self.duration:
            raise ValueError(f"phases.{len(starts) - 1}.start: must be before duration")
        ends = [*starts[1:], self.duration if self.loop else math.inf]
        for i, phase in enumerate(self.phases):
            if phase.start + phase.ramp > ends[i]:
                raise ValueError(f"phases.{i}.ramp: the ramp must end before the next phase starts")
        for i, values in enumerate(resolve_phases(self.phases)):
            busy = sum(values[f"cpu.{mode}"] for mode in CPU_MODES)
            if busy * (1.0 + self.noise) > 1.0:
                raise ValueError(
                    f"phases.{i}.host.cpu: busy time {busy:.3f} plus noise {self.noise:g} exceeds one CPU"
                )
            for resource in ("memory", "io"):
                if values[f"psi.{resource}_full"] > values[f"psi.{resource}_some"]:
                    raise ValueError(f"phases.{i}.host.psi.{resource}_full: must not exceed {resource}_some")
        return self

    def resolved_targets(self) -> list[dict[str, float]]:
        """Every channel's target in every phase, with inherited values filled in."""
        return resolve_phases(self.phases)

    def resolved_filesystems(self) -> list[dict[str, FilesystemTarget]]:
        """Each phase's filesystem targets by mountpoint, inherited from earlier phases."""
        out: list[dict[str, FilesystemTarget]] = []
        current: dict[str, FilesystemTarget] = {}
        for phase in self.phases:
            current = {**current, **phase.host.filesystems}
            out.append(current)
        return out

    def mountpoints(self) -> set[str]:
        return {m for phase in self.phases for m in phase.host.filesystems}


def resolve_phases(phases: Iterable[Phase]) -> list[dict[str, float]]:
    resolved: list[dict[str, float]] = []
    current = dict(CALM)
    for phase in phases:
        current = {**current, **phase_channels(phase.host)}
        resolved.append(current)
    return resolved


def _error_location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def load_scenario_file(path: Path) -> Scenario:
    """Read and validate one scenario file; any problem becomes one ScenarioFileError line."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioFileError(str(path), None, exc.strerror or str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ScenarioFileError(str(path), where, f"invalid YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise ScenarioFileError(str(path), None, "expected a mapping at the top level")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        field = _error_location(first["loc"])
        # Timeline checks name their own field in the message ("phases.2.ramp: ...").
        if not field and ": " in message:
            field, message = message.split(": ", 1)
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ScenarioFileError(str(path), field or None, message) from None
    if scenario.name != path.stem:
        raise ScenarioFileError(str(path), "name", f"must equal the file name {path.stem!r}")
    return scenario


def load_scenarios(directory: Path = SCENARIOS_DIR) -> dict[str, Scenario]:
    """All scenarios in a directory, by name; the first invalid file raises."""
    return {path.stem: load_scenario_file(path) for path in sorted(directory.glob("*.yml"))}


def get_scenario(scenarios: dict[str, Scenario], name: str) -> Scenario:
    try:
        return scenarios[name]
    except KeyError:
        raise UnknownScenarioError(name, list(scenarios)) from None
