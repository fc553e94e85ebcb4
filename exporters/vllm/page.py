"""One engine's /metrics page: parsed with prometheus_client, reduced to what is re-exposed.

Kept: every ``vllm:`` family (legacy names translated, unknown ones passed through) and the engine's
HTTP families; dropped: ``process_*``, ``python_*`` and anything else, which would collide with the
exporter's own. The ``<name>_created`` gauges that prometheus_client writes beside each V1 counter and
histogram are folded back into their family as ``_created`` samples, which is what they are: the text
format writes them out exactly as the engine did, OpenMetrics as the family's created timestamps.

The page also yields the engine's restart signals: its start time (the earliest ``_created``, V1) and
its cumulative series (counter totals and histogram counts, to spot a reset on V0, which has no
``_created``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from exporters.vllm.names import HTTP_FAMILIES, LEGACY_NAMES, is_known

PARENT_TYPES = ("counter", "histogram", "summary", "gaugehistogram")
CREATED = "_created"


class PageError(Exception):
    """The page is not a usable exposition; ``reason`` is one of the exporter's scrape error reasons."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class Page:
    """The families to re-expose (keyed by their V1 name) and what the page says about the engine."""

    families: dict[str, Metric]
    translated: int = 0
    unknown: int = 0
    start_time: float | None = None
    cumulative: dict[tuple[str, tuple[tuple[str, str], ...]], float] = field(default_factory=dict)


def _wanted(name: str) -> bool:
    return name.startswith("vllm:") or name in HTTP_FAMILIES or name.removesuffix(CREATED) in HTTP_FAMILIES


#: Line starts of what is kept (samples, and HELP/TYPE after their "# HELP " / "# TYPE " prefix).
_KEPT_PREFIXES = ("vllm:", "http_requests_", "http_request_duration_seconds")


def _kept_lines(text: str) -> str:
    """Only the lines of kept families, so the parser (most of a cycle's CPU) skips the engine's
    process_*, python_* and high-resolution HTTP histograms instead of parsing and discarding them.
    The parser still sees every kept line and judges its syntax."""
    kept = []
    for line in text.splitlines(keepends=True):
        name = line[7:] if line.startswith(("# HELP ", "# TYPE ")) else line
        if name.startswith(_KEPT_PREFIXES) and not name.startswith("http_request_duration_seconds_highr"):
            kept.append(line)
        elif line.strip() and not line.startswith("#") and "{" not in line and " " not in line.strip():
            kept.append(line)  # a line that is no sample at all: left for the parser to reject
    return "".join(kept)


def _parse(text: str) -> dict[str, Metric]:
    families: dict[str, Metric] = {}
    try:
        for family in text_string_to_metric_families(_kept_lines(text)):
            if not _wanted(family.name):
                continue
            known = families.get(family.name)
            if known is None:
                families[family.name] = family
            elif known.type == family.type:
                known.samples.extend(family.samples)
            else:
                raise PageError("malformed", f"family {family.name} is declared with two types")
    except ValueError as exc:
        raise PageError("malformed", f"not the Prometheus text format ({exc})") from None
    return families


def _fold_created(families: dict[str, Metric]) -> None:
    for name in [n for n in families if n.endswith(CREATED)]:
        parent = families.get(name.removesuffix(CREATED))
        created = families[name]
        if parent is not None and parent.type in PARENT_TYPES and created.type in ("gauge", "unknown"):
            parent.samples.extend(Sample(name, s.labels, s.value, s.timestamp) for s in created.samples)
            del families[name]


def _rename(family: Metric, new: str) -> Metric:
    renamed = Metric(new, family.documentation, family.type, family.unit)
    renamed.samples = [
        Sample(new + s.name[len(family.name) :], s.labels, s.value, s.timestamp, s.exemplar)
        for s in family.samples
    ]
    return renamed


def _translate(families: dict[str, Metric]) -> int:
    translated = 0
    for old, new in LEGACY_NAMES.items():
        family = families.pop(old, None)
        if family is not None and new not in families:
            families[new] = _rename(family, new)
            translated += 1
    return translated


def _signals(page: Page) -> None:
    for family in page.families.values():
        if family.type not in PARENT_TYPES:
            continue
        for sample in family.samples:
            if sample.name.endswith(CREATED):
                if page.start_time is None or sample.value < page.start_time:
                    page.start_time = sample.value
            elif sample.name.endswith(("_total", "_count")):
                page.cumulative[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value


def check_body(body: bytes, content_type: str) -> str:
    """The page as text, or PageError for what is plainly not an exposition (HTML, cut short)."""
    head = body[:256].lstrip().lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<")):
        raise PageError("not_prometheus", "the answer is HTML, not the Prometheus text format")
    if head.startswith((b"{", b"[")):
        raise PageError("not_prometheus", "the answer is JSON, not the Prometheus text format")
    if body and not body.endswith(b"\n"):
        raise PageError("truncated", "the exposition ends in the middle of a line")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise PageError("malformed", "the exposition is not UTF-8") from None


def parse_page(text: str) -> Page:
    """The page's families under V1 names, with created timestamps folded in and signals read."""
    families = _parse(text)
    _fold_created(families)
    page = Page(families)
    page.translated = _translate(families)
    page.unknown = sum(1 for name in families if name.startswith("vllm:") and not is_known(name))
    _signals(page)
    return page
