"""``llmon-mock twin vllm`` as a process: bad input is one line and exit 2; a start writes the targets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mock.twins.vllm.cli import addresses

MOCK_CLI = [sys.executable, "-c", "from mock.cli import main; main()"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MOCK_CLI, "twin", "vllm", *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--deployments", "nope"],
            "--deployments: unknown deployment 'nope' (known: vllm-llama, vllm-qwen)",
        ),
        (["--vllm-version", "latest"], "--vllm-version: expected a version such as 0.11.0 or 0.5.1"),
        (
            ["--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"],
            "--listen: given 3 times",
        ),
        (["--deployments", "none"], "no engines to serve"),
    ],
)
def test_bad_input_is_one_line(db_path: Path, args: list[str], message: str) -> None:
    result = _run("--db", str(db_path), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_listen_once_gives_consecutive_ports_or_free_ones() -> None:
    assert addresses(["127.0.0.1:8000"], [8000, 8001, 8002]) == [("127.0.0.1", p) for p in (8000, 8001, 8002)]
    assert addresses(["127.0.0.1:0"], [8000, 8001]) == [("127.0.0.1", 0), ("127.0.0.1", 0)]
    assert addresses(None, [8000, 8001]) == [("127.0.0.1", 8000), ("127.0.0.1", 8001)]


def test_synthetic_fleet_serves_and_stops_on_sigterm(db_path: Path, tmp_path: Path) -> None:
    targets = tmp_path / "targets.json"
    command = [*MOCK_CLI, "twin", "vllm", "--db", str(db_path), "--deployments", "none",
               "--engines", "3", "--listen", "127.0.0.1:0", "--targets-file", str(targets)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        for _ in range(100):
            if targets.exists() or process.poll() is not None:
                break
            time.sleep(0.1)
        groups = json.loads(targets.read_text())
        assert [g["labels"]["deployment"] for g in groups] == [
            "bench-vllm-000",
            "bench-vllm-001",
            "bench-vllm-002",
        ]
        ports = {g["targets"][0] for g in groups}
        assert len(ports) == 3
        for group in groups:
            assert httpx.get(f"http://{group['targets'][0]}/health").status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
