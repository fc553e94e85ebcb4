"""A faster encoder for /metrics that writes exactly what prometheus_client's would.

prometheus_client re-validates and re-escapes every metric and label name on every sample, and its
OpenMetrics encoder escapes each sample name one character at a time; on the node exporter that was
more than the cost of reading the kernel's files. Here a name is checked once per scrape and a family
is rendered with plain string operations.

The output is byte-identical to prometheus_client's: tests/unit/base/test_base_exposition.py
compares both over every metric type and tricky values, tests/unit/node/test_node_exposition.py over
the node golden files and the live host, with one deliberate exception: metric names with colons
(vLLM's ``vllm:kv_cache_usage_perc``). prometheus_client 0.26's OpenMetrics encoder keeps the colon in
``# HELP``/``# TYPE`` but rewrites it to ``_`` in the sample lines (its "underscores" escaping treats
the colon as invalid), so Prometheus stores ``vllm_kv_cache_usage_perc`` and every query written with
vLLM's names finds nothing. Colons are valid in metric names in both formats, so this encoder writes
them as they are. Whatever it does not cover is handed to prometheus_client one family at a time:
names outside the legacy character set (UTF-8), labels with colons, exemplars, native histograms,
samples without a value, and any family the fast path fails on (so a broken family raises
prometheus_client's own error). Content negotiation stays prometheus_client's
``choose_encoder``; only its two everyday answers are swapped for the encoders here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial

from prometheus_client import Metric
from prometheus_client.exposition import choose_encoder as _choose_encoder
from prometheus_client.exposition import generate_latest as _text_reference
from prometheus_client.openmetrics import exposition as _openmetrics
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

Encoder = Callable[[Collector], bytes]

#: Metric and label names written as they are (the legacy character sets of both formats).
_PLAIN_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_PLAIN_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
#: Integer digits prometheus_client writes before it switches a positive value to exponent form.
_MAX_PLAIN_DIGITS = 6
#: The exponent suffix by the position of the decimal point in repr(): "1234567.0" -> "e+06".
_EXPONENTS = tuple(f"e+{dot - 1:02d}" for dot in range(17))
_SPECIAL_FLOATS = {"inf": "+Inf", "-inf": "-Inf", "nan": "NaN"}
#: Samples the text format moves out of their family into a gauge family of their own, in this order.
_OPENMETRICS_ONLY_SUFFIXES = ("_created", "_gcount", "_gsum")
#: How the text format renames OpenMetrics types (metric type -> (name suffix, type written)).
_TEXT_TYPES = {
    "counter": ("_total", "counter"),
    "info": ("_info", "gauge"),
    "stateset": ("", "gauge"),
    "gaugehistogram": ("", "histogram"),
    "unknown": ("", "untyped"),
}
_EOF = "# EOF\n"


class _UnsupportedError(Exception):
    """Raised inside the fast path for a family it leaves to prometheus_client."""


class _OneFamily:
    """A registry stand-in that yields one family, to render it with prometheus_client's encoders."""

    def __init__(self, family: Metric) -> None:
        self._family = family

    def collect(self) -> list[Metric]:
        return [self._family]


def format_value(value: float) -> str:
    """A sample value as Go writes it, exactly like prometheus_client's floatToGoString.

    Python's repr is Go's %g except that Python keeps up to 16 integer digits before switching to an
    exponent; prometheus_client rewrites positive values with more than 6 integer digits into
    exponent form (1234567.0 -> 1.234567e+06), and so does this.
    """
    number = float(value)
    text = repr(number)
    dot = text.find(".")
    if dot > _MAX_PLAIN_DIGITS:
        if number > 0:
            fraction = (text[1:dot] + text[dot + 1 :]).rstrip("0")
            return (f"{text[0]}.{fraction}" if fraction else text[0]) + _EXPONENTS[dot]
        return text
    if dot < 0:
        return _SPECIAL_FLOATS.get(text, text)
    return text


def escape_label_value(value: str) -> str:
    """Backslash, newline and double quote escaped, as both formats want label values."""
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


class _Names:
    """Renders samples, remembering which names were found plain so each meets the regex once."""

    def __init__(self) -> None:
        self._plain: set[str] = set()
        self._plain_labels: set[str] = set()

    def check(self, name: str) -> str:
        if name not in self._plain:
            if _PLAIN_METRIC_NAME.fullmatch(name) is None:
                raise _UnsupportedError(name)
            self._plain.add(name)
        return name

    def check_label(self, label: str) -> str:
        if label not in self._plain_labels:
            if _PLAIN_LABEL_NAME.fullmatch(label) is None:
                raise _UnsupportedError(label)
            self._plain_labels.add(label)
        return label

    def series(self, sample: Sample) -> str:
        """``name{a="1",b="2"} value``: label names sorted, values escaped; the same in both formats.

        Written for speed (a scrape renders hundreds of samples): a single label, the usual case,
        skips building and sorting a list.
        """
        name, labels, value, _, exemplar, native_histogram = sample
        if exemplar is not None or native_histogram is not None or value is None:
            raise _UnsupportedError(name)
        if name not in self._plain:
            self.check(name)
        if not labels:
            return f"{name} {format_value(value)}"
        plain_labels, check_label = self._plain_labels, self.check_label
        if len(labels) == 1:
            ((label, label_value),) = labels.items()
            if label not in plain_labels:
                check_label(label)
            return f'{name}{{{label}="{escape_label_value(label_value)}"}} {format_value(value)}'
        pairs = []
        for label, label_value in sorted(labels.items()):
            if label not in plain_labels:
                check_label(label)
            pairs.append(f'{label}="{escape_label_value(label_value)}"')
        return f"{name}{{{','.join(pairs)}}} {format_value(value)}"


def _text_family(family: Metric, names: _Names, out: list[str]) -> None:
    """One family in the Prometheus text format 0.0.4, as prometheus_client.generate_latest writes it."""
    suffix, type_name = _TEXT_TYPES.get(family.type, ("", family.type))
    name = names.check(family.name) + suffix
    help_text = family.documentation.replace("\\", r"\\").replace("\n", r"\n")
    out.append(f"# HELP {name} {help_text}\n# TYPE {name} {type_name}\n")
    moved_lines: dict[str, list[str]] = {}
    series, family_name, prefix_length = names.series, family.name, len(family.name)
    for sample in family.samples:
        timestamp = sample.timestamp
        if timestamp is None:
            line = f"{series(sample)}\n"
        else:
            line = f"{series(sample)} {int(float(timestamp) * 1000):d}\n"
        ending = sample.name[prefix_length:]
        if ending in _OPENMETRICS_ONLY_SUFFIXES and sample.name.startswith(family_name):
            moved_lines.setdefault(ending, []).append(line)
        else:
            out.append(line)
    for ending, lines in sorted(moved_lines.items()):
        out.append(f"# HELP {family.name}{ending} {help_text}\n# TYPE {family.name}{ending} gauge\n")
        out.extend(lines)


def _openmetrics_family(family: Metric, names: _Names, out: list[str]) -> None:
    """One family in OpenMetrics 1.0.0, as prometheus_client.openmetrics's generate_latest writes it."""
    name = names.check(family.name)
    help_text = family.documentation.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    out.append(f"# HELP {name} {help_text}\n# TYPE {name} {family.type}\n")
    if family.unit:
        out.append(f"# UNIT {name} {family.unit}\n")
    series = names.series
    for sample in family.samples:
        timestamp = sample.timestamp
        out.append(f"{series(sample)}\n" if timestamp is None else f"{series(sample)} {timestamp}\n")


class _RenderedFamilies:
    """The text each family rendered to at the previous scrape, keyed by the family object itself.

    A background source's snapshot is served unchanged, as the very same Metric objects, until its
    next collection; with hundreds of containers re-rendering it on every scrape was most of a
    scrape's cost. Reuse is decided by identity (``is``), never by equality, and sources build fresh
    families on every collection (the Source contract), so a reused text is always the text of an
    unchanged family. Only the last scrape's families are kept, so the memory held is one scrape's.
    """

    def __init__(self) -> None:
        self._previous: dict[int, tuple[Metric, str]] = {}

    def render(
        self,
        families: Iterable[Metric],
        render: Callable[[Metric, _Names, list[str]], None],
        reference: Callable[[Metric], str],
    ) -> list[str]:
        """Every family's text: reused where the family is the very object rendered last time, else
        rendered fast, or with prometheus_client (``reference``) where the fast path declines."""
        previous, current = self._previous, {}
        names = _Names()
        out: list[str] = []
        for family in families:
            seen = previous.get(id(family))
            if seen is not None and seen[0] is family:
                text = seen[1]
            else:
                chunk: list[str] = []
                try:
                    render(family, names, chunk)
                    text = "".join(chunk)
                except Exception:  # _UnsupportedError, or a malformed family prometheus_client reports
                    text = reference(family)
            current[id(family)] = (family, text)
            out.append(text)
        # One assignment: a concurrent scrape sees the old or the new dict, both consistent.
        self._previous = current
        return out


_TEXT_CACHE = _RenderedFamilies()
_OPENMETRICS_CACHE = _RenderedFamilies()


def _text_reference_family(family: Metric) -> str:
    return _text_reference(_OneFamily(family)).decode()  # type: ignore[arg-type]


def _openmetrics_reference_family(family: Metric) -> str:
    return _openmetrics.generate_latest(_OneFamily(family)).decode().removesuffix(_EOF)


def generate_text(registry: Collector) -> bytes:
    """The registry in the Prometheus text format 0.0.4 (prometheus_client.generate_latest's output)."""
    return "".join(_TEXT_CACHE.render(registry.collect(), _text_family, _text_reference_family)).encode()


def generate_openmetrics(registry: Collector) -> bytes:
    """The registry in OpenMetrics 1.0.0 with underscore escaping, ``# EOF`` included."""
    out = _OPENMETRICS_CACHE.render(registry.collect(), _openmetrics_family, _openmetrics_reference_family)
    out.append(_EOF)
    return "".join(out).encode()


def _is_openmetrics_1_0(encoder: Encoder) -> bool:
    return (
        isinstance(encoder, partial)
        and encoder.func is _openmetrics.generate_latest
        and encoder.keywords == {"escaping": _openmetrics.UNDERSCORES, "version": "1.0.0"}
    )


def choose_encoder(accept_header: str) -> tuple[Encoder, str]:
    """prometheus_client's negotiation, with its text and OpenMetrics 1.0.0 encoders replaced by ours.

    Any other answer (another OpenMetrics version, another name escaping) keeps prometheus_client's
    encoder, so the content type and the body always agree.
    """
    encoder, content_type = _choose_encoder(accept_header)
    if encoder is _text_reference:
        return generate_text, content_type
    if _is_openmetrics_1_0(encoder):
        return generate_openmetrics, content_type
    return encoder, content_type
