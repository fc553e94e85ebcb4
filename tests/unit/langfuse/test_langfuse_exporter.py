"""The exporter as operators run it: the HTTP server's /metrics, the command line, and its logs."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fake_langfuse import NOW, PUBLIC_KEY, SECRET_KEY, FakeLangfuse, generation

from exporters.base import ExporterServer
from exporters.langfuse.__main__ import SPEC
from exporters.langfuse.config import LangfuseSettings

CONTRACT = (
    "llmon_langfuse_info",
    "llmon_langfuse_healthy",
    "llmon_langfuse_observations_total",
    "llmon_langfuse_generations_total",
    "llmon_langfuse_tokens_total",
    "llmon_langfuse_cost_usd_total",
    "llmon_langfuse_generation_latency_seconds_bucket",
    "llmon_langfuse_time_to_first_token_seconds_bucket",
    "llmon_langfuse_newest_event_timestamp_seconds",
    "llmon_langfuse_ingestion_lag_seconds",
    "llmon_langfuse_api_requests_total",
    'llmon_exporter_up{source="events"} 1.0',
)


def _wait_for(url: str, text: str) -> str:
    """Poll /metrics until a line matching the regular expression ``text`` shows up (the background
    loop runs on its own schedule); a plain string matches itself once its specials are escaped."""
    body = ""
    pattern = re.compile(text if text.startswith("^") else re.escape(text), re.MULTILINE)
    for _ in range(200):
        body = httpx.get(f"{url}/metrics").text
        if pattern.search(body):
            return body
        time.sleep(0.05)
    return body


def test_metrics_endpoint_serves_the_contract_and_logs_no_keys(
    url: str, fake: FakeLangfuse, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET_KEY + "\n")
    fake.observations.append(generation("g1", NOW - 5))
    settings = LangfuseSettings(
        langfuse_url=url,
        public_key=PUBLIC_KEY,
        secret_key=secret_file.read_text().strip(),
        collect_interval=0.2,
        web_listen_address="127.0.0.1:0",
    )
    caplog.set_level(logging.DEBUG)
    with ExporterServer(SPEC, settings) as server:
        body = _wait_for(server.url, 'llmon_langfuse_info{api="v4",version="4.16.0"} 1.0')
        fake.observations.append(generation("g2", NOW + 1))
        fake.now += 30
        body = _wait_for(
            server.url, 'llmon_langfuse_generations_total{environment="production",model="gpt-4o"} 1.0'
        )
        fake.fail("/api/public/v2/observations", 401)
        fake.fail("/api/public/v3/scores", 401)
        # The error counters start at 0 for every reason: wait for the auth failure itself.
        _wait_for(server.url, r'^llmon_exporter_collect_errors_total\{reason="auth",source="[a-z]+"\} [1-9]')
    for name in CONTRACT:
        assert name in body, name
    assert 'model=""' not in body
    logged = caplog.text
    assert "auth" in logged
    assert SECRET_KEY not in logged and PUBLIC_KEY not in logged


def test_missing_secret_key_is_one_line_and_exit_2(tmp_path: Path) -> None:
    public = tmp_path / "pk"
    public.write_text(PUBLIC_KEY)
    done = subprocess.run(
        [sys.executable, "-m", "exporters.langfuse", f"--public-key-file={public}", "--check-config"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "--secret-key" in done.stderr and PUBLIC_KEY not in done.stderr


def test_keys_from_files_pass_check_config(tmp_path: Path) -> None:
    public, secret = tmp_path / "pk", tmp_path / "sk"
    public.write_text(PUBLIC_KEY + "\n")
    secret.write_text(SECRET_KEY + "\n")
    done = subprocess.run(
        [sys.executable, "-m", "exporters.langfuse", "--check-config"],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "LLMON_LANGFUSE_PUBLIC_KEY_FILE": str(public),
            "LLMON_LANGFUSE_SECRET_KEY_FILE": str(secret),
        },
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert SECRET_KEY not in done.stdout + done.stderr
