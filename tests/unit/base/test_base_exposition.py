"""exporters.base.exposition writes byte for byte what prometheus_client's encoders write, only faster."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable

import pytest
from prometheus_client import Metric, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    StateSetMetricFamily,
    SummaryMetricFamily,
    UnknownMetricFamily,
)
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.samples import BucketSpan, Exemplar, NativeHistogram, Timestamp
from prometheus_client.utils import floatToGoString

from exporters.base import exposition
from exporters.base.exposition import choose_encoder, format_value, generate_openmetrics, generate_text

#: What Prometheus 2.42 sends (scrape/scrape.go), the header the node exporter benchmark uses too.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
TRICKY_FLOATS = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1e-7,
    1.5e-7,
    123.456,
    999999.0,
    1e6,
    1000001.0,
    1234567.891,
    -1234567.891,
    9999999999999998.0,
    1e16,
    1e21,
    -1e22,
    5e-324,
    1.7976931348623157e308,
    math.inf,
    -math.inf,
    math.nan,
]
TRICKY_NUMBERS = [*TRICKY_FLOATS, 0, 1, -7, 1_000_000, 336_705_663, 10**20, -(10**17), True, False]
TRICKY_LABEL_VALUES = [
    "",
    "plain",
    'say "hi"',
    "back\\slash",
    "two\nlines",
    '\\"\n\\n',
    "ünïcødé ✓",
    "a,b=c{}",
]


class Families:
    """A registry stand-in: collect() yields the families given."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> list[Metric]:
        return self.families


def tricky_families() -> list[Metric]:
    """Every metric type prometheus_client has, with the values and labels that need care."""
    gauge = GaugeMetricFamily(
        "llmon_test_gauge", 'Help with \\ backslash, "quotes"\nand a newline.', labels=["z", "a"]
    )
    for index, value in enumerate(TRICKY_NUMBERS):
        gauge.add_metric([str(index), TRICKY_LABEL_VALUES[index % len(TRICKY_LABEL_VALUES)]], value)
    single = GaugeMetricFamily("llmon_test_single_label", "One label.", labels=["device"])
    for value in TRICKY_LABEL_VALUES:
        single.add_metric([value], 1)
    counter = CounterMetricFamily(
        "llmon_test_requests", "Counter with _created.", labels=["code"], created=1.5e9
    )
    counter.add_metric(["200"], 10, created=1_700_000_000.25)
    counter.add_metric(["500"], 0.5, timestamp=1_700_000_001.5)
    histogram = HistogramMetricFamily(
        "llmon_test_latency_seconds", "Histogram.", labels=["path"], unit="seconds"
    )
    histogram.add_metric(["/"], [("0.1", 3), ("1.0", 5), ("+Inf", 6)], sum_value=2.5)
    gauge_histogram = GaugeHistogramMetricFamily("llmon_test_queue", "Gauge histogram.")
    gauge_histogram.add_metric([], [("1.0", 2), ("+Inf", 4)], gsum_value=3.0)
    summary = SummaryMetricFamily("llmon_test_summary", "Summary.", labels=["job"])
    summary.add_metric(["x"], count_value=4, sum_value=1e21)
    summary.add_sample("llmon_test_summary", {"job": "x", "quantile": "0.5"}, 0.25)
    summary.add_sample("llmon_test_summary_created", {"job": "x"}, 1_600_000_000.0)
    info = InfoMetricFamily("llmon_test_build", "Info.", value={"version": "1.2.3", "commit": 'a"b'})
    stateset = StateSetMetricFamily("llmon_test_state", "State set.", value={"on": True, "off": False})
    unknown = UnknownMetricFamily("llmon_test_unknown", "Untyped.", value=-0.0)
    stamped = GaugeMetricFamily("llmon_test_stamped", "Timestamps, float and Timestamp.", labels=["kind"])
    stamped.add_metric(["float"], 1, timestamp=1_700_000_000.123)
    stamped.add_metric(["timestamp"], 2, timestamp=Timestamp(1_700_000_000, 123_000_000))
    empty = GaugeMetricFamily("llmon_test_empty", "A family without samples.", labels=["x"])
    return [
        gauge,
        single,
        counter,
        histogram,
        gauge_histogram,
        summary,
        info,
        stateset,
        unknown,
        stamped,
        empty,
    ]


def families_left_to_prometheus_client() -> list[Metric]:
    """What the fast path declines: exemplars, native histograms, UTF-8 names, label names with colons."""
    exemplars = CounterMetricFamily("llmon_test_exemplars", "Counter with an exemplar.", labels=["code"])
    exemplars.add_metric(["200"], 3, exemplar=Exemplar({"trace_id": 'ab"c'}, 1.0, 1_700_000_000.5))
    buckets = HistogramMetricFamily("llmon_test_exemplar_buckets", "Histogram with exemplars.")
    buckets.add_metric([], [("1.0", 1, Exemplar({"id": "1"}, 0.5)), ("+Inf", 2)], sum_value=1.5)
    colon = GaugeMetricFamily("llmon_test_colon_label", "A label name with a colon.", labels=["a:b"])
    colon.add_metric(["a"], 1)
    dotted = GaugeMetricFamily("llmon.test.dotted", "A UTF-8 metric name.", value=2)
    label_name = Metric("llmon_test_odd_label", "A label name with a dash.", "gauge")
    label_name.add_sample("llmon_test_odd_label", {"bad-name": "x"}, 1)
    native = Metric("llmon_test_native", "A native histogram.", "histogram")
    native.add_sample(
        "llmon_test_native",
        {},
        None,
        native_histogram=NativeHistogram(24, 100, 0, 0.001, 4, (BucketSpan(0, 2),), None, (2, 1), None),
    )
    return [exemplars, buckets, colon, dotted, label_name, native]


def colon_families() -> list[Metric]:
    """vLLM's style: colons in metric names, a counter and a histogram among them."""
    gauge = GaugeMetricFamily("vllm:kv_cache_usage_perc", "KV-cache usage.", labels=["model_name"])
    gauge.add_metric(["m"], 0.5)
    counter = CounterMetricFamily("vllm:prompt_tokens", "Prompt tokens.", labels=["model_name"])
    counter.add_metric(["m"], 12, created=1_700_000_000.0)
    histogram = HistogramMetricFamily("vllm:time_to_first_token_seconds", "TTFT.", labels=["model_name"])
    histogram.add_metric(["m"], [("0.5", 1), ("+Inf", 2)], sum_value=1.5)
    return [gauge, counter, histogram]


def test_colon_names_come_out_identical_in_the_text_format() -> None:
    assert generate_text(Families(colon_families())) == generate_latest(Families(colon_families()))


def test_colon_names_keep_their_colons_in_openmetrics() -> None:
    """prometheus_client 0.26 writes ``vllm_prompt_tokens_total`` under ``# TYPE vllm:prompt_tokens``;
    Prometheus would store the underscored name and every query with vLLM's names would be empty."""
    text = generate_openmetrics(Families(colon_families())).decode()
    samples = [line.split("{")[0] for line in text.splitlines() if line and not line.startswith("#")]
    assert samples == [
        "vllm:kv_cache_usage_perc",
        "vllm:prompt_tokens_total",
        "vllm:prompt_tokens_created",
        "vllm:time_to_first_token_seconds_bucket",
        "vllm:time_to_first_token_seconds_bucket",
        "vllm:time_to_first_token_seconds_count",
        "vllm:time_to_first_token_seconds_sum",
    ]
    assert "# TYPE vllm:prompt_tokens counter" in text
    assert text.replace(":", "_") == reference_openmetrics(colon_families()).decode().replace(":", "_")


def reference_openmetrics(families: list[Metric]) -> bytes:
    return openmetrics.generate_latest(Families(families))


@pytest.mark.parametrize("value", TRICKY_NUMBERS, ids=repr)
def test_values_are_written_like_float_to_go_string(value: float) -> None:
    assert format_value(value) == floatToGoString(value)


def test_random_values_are_written_like_float_to_go_string() -> None:
    rng = random.Random(20261123)
    values = [rng.random() * 10 ** rng.randint(-12, 22) * rng.choice((1, -1)) for _ in range(20_000)]
    values += [float(rng.randint(0, 10**17)) for _ in range(5_000)]
    values += [rng.randint(-(10**17), 10**17) for _ in range(5_000)]
    assert [value for value in values if format_value(value) != floatToGoString(value)] == []


def test_tricky_families_match_prometheus_client_in_the_text_format() -> None:
    registry = Families(tricky_families())
    assert generate_text(registry) == generate_latest(registry)


def test_tricky_families_match_prometheus_client_in_openmetrics() -> None:
    families = tricky_families()
    body = generate_openmetrics(Families(families))
    assert body == reference_openmetrics(families)
    parsed = {family.name: family for family in parse_openmetrics(body.decode())}
    assert parsed["llmon_test_single_label"].samples[3].labels == {"device": "back\\slash"}
    assert parsed["llmon_test_single_label"].samples[4].labels == {"device": "two\nlines"}


@pytest.mark.parametrize("family", tricky_families(), ids=lambda family: family.name)
def test_each_family_on_its_own_matches(family: Metric) -> None:
    assert generate_text(Families([family])) == generate_latest(Families([family]))
    assert generate_openmetrics(Families([family])) == reference_openmetrics([family])


def test_the_fast_path_renders_plain_families_without_prometheus_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Guards the equality tests above: they would also pass if every family fell back."""
    expected_text = generate_latest(Families(tricky_families()))
    expected_openmetrics = reference_openmetrics(tricky_families())

    def refuse(*_args: object) -> str:
        raise AssertionError("the fast path handed a plain family to prometheus_client")

    monkeypatch.setattr(exposition, "_text_reference_family", refuse)
    monkeypatch.setattr(exposition, "_openmetrics_reference_family", refuse)
    assert generate_text(Families(tricky_families())) == expected_text
    assert generate_openmetrics(Families(tricky_families())) == expected_openmetrics


@pytest.mark.parametrize("family", families_left_to_prometheus_client(), ids=lambda family: family.name)
def test_families_the_fast_path_declines_still_come_out_identical(family: Metric) -> None:
    """Mixed with plain families, so a declined one must not disturb its neighbours."""
    families = [tricky_families()[0], family, tricky_families()[1]]
    assert generate_openmetrics(Families(families)) == reference_openmetrics(families)
    if family.name != "llmon_test_native":  # prometheus_client's text encoder cannot write native histograms
        assert generate_text(Families(families)) == generate_latest(Families(families))


def test_reserved_label_names_are_written_as_prometheus_client_writes_them() -> None:
    """A ``__`` label name is reserved (parsers refuse it) yet both encoders pass it through unchanged."""
    reserved = GaugeMetricFamily("llmon_test_reserved", "Reserved label name.", labels=["__name_like"])
    reserved.add_metric(["v"], 1)
    assert generate_text(Families([reserved])) == generate_latest(Families([reserved]))
    assert generate_openmetrics(Families([reserved])) == reference_openmetrics([reserved])


def test_a_family_prometheus_client_cannot_write_raises_its_error() -> None:
    broken = GaugeMetricFamily("llmon_test_broken", "A label value that is not a string.", labels=["x"])
    broken.add_metric([42], 1)  # type: ignore[list-item]
    with pytest.raises(AttributeError) as ours:
        generate_text(Families([broken]))
    with pytest.raises(AttributeError) as theirs:
        generate_latest(Families([broken]))
    assert ours.value.args == theirs.value.args


def test_prometheus_accept_header_gets_the_fast_openmetrics_encoder() -> None:
    encoder, content_type = choose_encoder(PROMETHEUS_ACCEPT)
    assert encoder is generate_openmetrics
    assert content_type == "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"


@pytest.mark.parametrize("accept", ["", "*/*", "text/plain;version=0.0.4", "application/json"])
def test_anything_else_plain_gets_the_fast_text_encoder(accept: str) -> None:
    assert choose_encoder(accept) == (generate_text, "text/plain; version=0.0.4; charset=utf-8")


def test_other_escapings_keep_prometheus_client_encoder() -> None:
    encoder, content_type = choose_encoder("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8")
    assert encoder not in (generate_openmetrics, generate_text)
    assert content_type.endswith("escaping=allow-utf-8")
    dotted = GaugeMetricFamily("llmon.test.dotted", "A UTF-8 metric name.", value=2)
    assert b'{"llmon.test.dotted"} 2.0' in encoder(Families([dotted]))  # type: ignore[arg-type]


def _counting(render: object, calls: list[str]) -> object:
    def counted(family: Metric, names: object, out: list[str]) -> None:
        calls.append(family.name)
        render(family, names, out)  # type: ignore[operator]

    return counted


@pytest.mark.parametrize(
    ("render", "reference"),
    [
        (exposition._text_family, exposition._text_reference_family),
        (exposition._openmetrics_family, exposition._openmetrics_reference_family),
    ],
    ids=["text", "openmetrics"],
)
def test_an_unchanged_family_is_rendered_once_and_a_new_one_again(render, reference) -> None:
    def family(value: float) -> Metric:
        built = GaugeMetricFamily("llmon_cached", "Cached.", labels=["name"])
        built.add_metric(['va"l'], value)
        return built

    snapshot, calls, rendered = Families([family(1.0)]), [], exposition._RenderedFamilies()
    counted = _counting(render, calls)

    first = rendered.render(snapshot.collect(), counted, reference)
    second = rendered.render(snapshot.collect(), counted, reference)
    assert first == second and calls == ["llmon_cached"]

    snapshot.families = [family(2.0)]  # the next collection: equal name, new object, new value
    third = rendered.render(snapshot.collect(), counted, reference)
    assert calls == ["llmon_cached", "llmon_cached"]
    assert third != first and 'llmon_cached{name="va\\"l"} 2.0\n' in "".join(third)


def test_cached_output_still_equals_prometheus_client() -> None:
    registry = Families(tricky_families())  # the same objects on both scrapes, as a snapshot
    for _ in range(2):
        assert generate_text(registry) == generate_latest(registry)
        assert generate_openmetrics(registry) == reference_openmetrics(registry.families)
