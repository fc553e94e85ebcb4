"""What every fuzzed parser must uphold, checked through the exporter's own collection path.

A fuzz test hands hostile upstream input to a real Source and runs it the way the exporter does
(``exporters.base`` Collection, its self-metrics and its encoder). Three invariants, per example:

1. nothing escapes: a rejected input surfaces as a CollectError, never as another exception (the
   base would count that as ``internal``, which here means a parser bug);
2. every failure is counted: ``llmon_exporter_collect_errors_total`` grows by one for each failed
   collection, under a reason of ``exporters.base.REASONS``;
3. the exposition stays valid: at the end of the test the real ``promtool check metrics`` parses and
   lints every distinct output of the run at once (each output's metric names prefixed with its
   example number, so one promtool process checks them all and a finding names its example).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prometheus_client import Metric

from exporters.base import REASONS, Source
from exporters.base.collection import Collection
from exporters.base.exposition import generate_text

_METRIC_LINE = re.compile(r"^(# (?:HELP|TYPE) )?([a-zA-Z_:][a-zA-Z0-9_:]*)")


class AtScrapeTime(Source):
    """A background source run at scrape time, so one example is one synchronous collection."""

    def __init__(self, source: Source) -> None:
        self.name = source.name
        self.keep_snapshot_on = source.keep_snapshot_on  # type: ignore[misc]
        self._source = source

    def collect(self) -> Iterable[Metric]:
        return self._source.collect()

    def take_partial_errors(self) -> dict[str, int]:
        return dict(self._source.take_partial_errors())


class _Families:
    """A prometheus_client collector over a list of families (the generate_text input)."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return iter(self._families)


@dataclass
class FuzzRun:
    """Invariants of one fuzz test; ``finish()`` runs promtool over everything the run produced.

    ``allowed_lint`` lists promtool findings the exporter keeps on purpose (node_exporter's
    camelCase meminfo names), as regular expressions matched against the finding's text.
    """

    allowed_lint: tuple[str, ...] = ()
    outputs: dict[str, int] = field(default_factory=dict)
    failures_by_reason: dict[str, int] = field(default_factory=dict)
    examples: int = 0

    def collect(self, sources: Sequence[Source]) -> str:
        """One collection of ``sources`` through the base; returns the exposition text."""
        collection = Collection([AtScrapeTime(source) for source in sources], interval=60, timeout=10)
        before = _errors_total(collection)
        families = collection.collect()
        text = generate_text(_Families(families)).decode()
        after = _errors_total(collection)
        self._check(text, _down(collection), before, after)
        return text

    def _check(
        self,
        text: str,
        failed: set[str],
        before: dict[tuple[str, str], float],
        after: dict[tuple[str, str], float],
    ) -> None:
        self.examples += 1
        grown = {key: value - before.get(key, 0.0) for key, value in after.items()}
        grown = {key: increase for key, increase in grown.items() if increase}
        unknown = {reason for _, reason in grown if reason not in REASONS}
        assert not unknown, f"collect_errors_total grew under reasons outside REASONS: {unknown}"
        internal = {source for source, reason in grown if reason == "internal"}
        assert not internal, f"an exception other than CollectError escaped collect() of {sorted(internal)}"
        counted = {source for source, _ in grown}
        assert failed <= counted, f"sources {sorted(failed - counted)} failed without a counted error"
        for (_, reason), increase in grown.items():
            self.failures_by_reason[reason] = self.failures_by_reason.get(reason, 0) + int(increase)
        self.outputs.setdefault(text, len(self.outputs))

    def finish(self) -> None:
        """promtool over every distinct output of the run, in one process."""
        promtool = shutil.which("promtool")
        assert promtool is not None, "promtool is not on PATH (make test installs it)"
        combined = "\n".join(_prefixed(text, index) for text, index in self.outputs.items())
        result = subprocess.run(
            [promtool, "check", "metrics"], input=combined, capture_output=True, text=True, check=False
        )
        findings = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        unexpected = [
            line for line in findings if not any(re.search(pattern, line) for pattern in self.allowed_lint)
        ]
        assert result.returncode in (0, 3), f"promtool could not parse an output: {findings[:5]}"
        assert unexpected == [], f"promtool findings: {unexpected[:10]}"


def _down(collection: Collection) -> set[str]:
    """Sources whose collection just failed, as ``llmon_exporter_up`` tells it."""
    return {
        sample.labels["source"]
        for family in collection.health.families()
        if family.name == "llmon_exporter_up"
        for sample in family.samples
        if sample.value == 0
    }


def _errors_total(collection: Collection) -> dict[tuple[str, str], float]:
    values: dict[tuple[str, str], float] = {}
    for family in collection.health.families():
        if family.name == "llmon_exporter_collect_errors":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    values[(sample.labels["source"], sample.labels["reason"])] = sample.value
    return values


def _prefixed(text: str, index: int) -> str:
    """The exposition with every metric name prefixed ``f<index>_`` (label values untouched)."""
    lines = []
    for line in text.split("\n"):  # not splitlines(): label values may hold U+2028, U+0085, ...
        match = _METRIC_LINE.match(line)
        if match and (match.group(1) or not line.startswith("#")):
            start = match.start(2)
            lines.append(f"{line[:start]}f{index}_{line[start:]}")
        else:
            lines.append(line)
    return "\n".join(lines)
