"""Bad options: one line naming the option, exit 2, no traceback; good ones pass --check-config."""

from __future__ import annotations

import pytest

from exporters.base import run
from exporters.vllm.__main__ import SPEC


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--vllm.target=gpu1"], "--vllm.target"),
        (["--vllm.target=a=http://h:70000"], "--vllm.target"),
        (["--vllm.docker.image=(["], "--vllm.docker.image"),
        (["--vllm.timeout=20s"], "--vllm.timeout"),
        (["--vllm.concurrency=0"], "--vllm.concurrency"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(SPEC, [*argv, "--check-config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("llmon-vllm-exporter: error:") and expected in err
    assert "\n" not in err and "Traceback" not in err


def test_good_options_pass_check_config(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--vllm.target=llama=http://127.0.0.1:8000",
        "--vllm.file-sd=/tmp/x.json",
        "--vllm.docker",
        "--check-config",
    ]
    assert run(SPEC, argv) == 0
    out = capsys.readouterr().out
    assert "discovery-file" in out and "discovery-docker" in out and "engines" in out and "models" in out
