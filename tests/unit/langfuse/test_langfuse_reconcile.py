"""The metrics-API budget: late arrivals counted once, and the default stays within 100 calls a day."""

from __future__ import annotations

from fake_langfuse import NOW, PUBLIC_KEY, SECRET_KEY, FakeLangfuse, generation
from langfuse_support import GEN, Clock, by_name, get, poll, settings, values

from exporters.base import Source
from exporters.langfuse.config import HOBBY_METRICS_CALLS_PER_DAY, LangfuseSettings
from exporters.langfuse.sources import build_sources

INTERVAL = 600.0
SLICE = (NOW // INTERVAL + 1) * INTERVAL  # the first slice the stream sees whole (baseline ends at NOW)


def build(url: str, clock: Clock) -> list[Source]:
    return build_sources(settings(url, metrics_interval=INTERVAL), clock=clock)


def test_late_arrivals_are_added_once_from_the_metrics_api(
    url: str, fake: FakeLangfuse, clock: Clock
) -> None:
    sources = build(url, clock)
    poll(sources)
    fake.observations.extend(generation(f"seen{i}", SLICE + 10 + i) for i in range(3))
    fake.hidden.extend(generation(f"late{i}", SLICE + 100 + i, model="llama") for i in range(2))
    for fake.now in (SLICE + 60, SLICE + 700, SLICE + 1300):
        found = poll(sources)
    assert get(found, "llmon_langfuse_generations_total", **GEN) == 3.0
    reconcile = by_name(sources)["reconcile"]
    clock.now += INTERVAL
    list(reconcile.collect())
    assert fake.calls("/api/public/v2/metrics") == 1
    totals = values(by_name(sources)["totals"].collect())
    llama = {"model": "llama", "environment": "production"}
    assert get(totals, "llmon_langfuse_generations_total", **GEN) == 3.0  # nothing the stream had is re-added
    assert get(totals, "llmon_langfuse_generations_total", **llama) == 2.0
    assert get(totals, "llmon_langfuse_tokens_total", direction="input", **llama) == 200.0
    assert (
        get(
            totals,
            "llmon_langfuse_observations_total",
            environment="production",
            type="GENERATION",
            level="DEFAULT",
        )
        == 5.0
    )
    clock.now += INTERVAL
    fake.now += INTERVAL
    poll(sources)
    list(reconcile.collect())  # the next slice is compared now; the first one never again
    after = values(by_name(sources)["totals"].collect())
    assert get(after, "llmon_langfuse_generations_total", **llama) == 2.0
    assert fake.calls("/api/public/v2/metrics") == 2


def test_v2_servers_make_no_metrics_calls(url: str, fake: FakeLangfuse, clock: Clock) -> None:
    fake.api = "v2"
    sources = build(url, clock)
    for step in range(4):
        fake.now = NOW + step * INTERVAL
        clock.now += INTERVAL
        poll(sources)
        list(by_name(sources)["reconcile"].collect())
    assert not [path for path in fake.log if "metrics" in path]


def test_default_configuration_stays_within_100_metrics_calls_a_day(
    url: str, fake: FakeLangfuse, clock: Clock
) -> None:
    defaults = LangfuseSettings(langfuse_url=url, public_key=PUBLIC_KEY, secret_key=SECRET_KEY)
    assert defaults.metrics_calls_per_day() <= HOBBY_METRICS_CALLS_PER_DAY
    fake.observations.extend(generation(f"g{i}", NOW + i * 300) for i in range(300))
    sources = build_sources(defaults, clock=clock)
    reconcile = by_name(sources)["reconcile"]
    for minute in range(24 * 60):  # a day: background loops every minute, events every 10 minutes
        fake.now = NOW + minute * 60
        clock.now += 60
        if minute % 10 == 0:
            poll(sources)
        list(reconcile.collect())
    metrics_calls = fake.calls("/api/public/v2/metrics")
    assert 0 < metrics_calls <= HOBBY_METRICS_CALLS_PER_DAY
