"""The exporter as a real process: startup logs, serving, secrets kept out, clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from base_helpers import PARSERS, sample
from fake_base_exporter import SPEC

from exporters.base import run

HERE = Path(__file__).parent
TOKEN = "tok-6f1d0c2e-very-secret"


@pytest.mark.parametrize(("stop_signal", "log_format"), [(signal.SIGTERM, "logfmt"), (signal.SIGINT, "json")])
def test_process_serves_keeps_secrets_out_and_exits_0_on_signal(
    tmp_path: Path, stop_signal: signal.Signals, log_format: str
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fake_base_exporter",
            "--web.listen-address=127.0.0.1:0",
            f"--log.format={log_format}",
            f"--demo.token-file={token_file}",
            "--demo.fail",
        ],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    parse = PARSERS[log_format]
    try:
        lines = []
        while not any(entry["msg"] == "listening" for entry in lines):
            line = process.stderr.readline()
            assert line, f"exporter exited early: {process.wait()}"
            lines.append(parse(line.rstrip("\n")))
        url = "http://" + next(entry["address"] for entry in lines if entry["msg"] == "listening")

        metrics = httpx.get(f"{url}/metrics").text
        assert sample(metrics, "llmon_exporter_up", source="greeting") == 0
        assert sample(metrics, "llmon_exporter_up", source="extra") == 1
        assert TOKEN not in httpx.get(f"{url}/").text

        process.send_signal(stop_signal)
        stdout, rest = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert stdout == ""
    lines += [parse(line) for line in rest.splitlines()]
    assert [entry["msg"] for entry in lines if entry["logger"] == "exporters.base.app"] == [
        "starting",
        "shutting down",
        "stopped",
    ]
    assert next(entry for entry in lines if entry["msg"] == "shutting down")["signal"] == stop_signal.name
    failure = next(entry for entry in lines if entry["msg"] == "source collection failed")
    assert failure["err"] == "RuntimeError: upstream rejected token <redacted>"
    assert all(TOKEN not in str(entry) for entry in lines)


def test_port_in_use_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        assert run(SPEC, [f"--web.listen-address={address}", "--log.level=error"]) == 1
    assert capsys.readouterr().err == (
        f"llmon-fake-exporter: error: --web.listen-address: cannot listen on {address}: "
        "Address already in use\n"
    )
