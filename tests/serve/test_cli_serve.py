"""`cnnlab serve` from the command line: help, one-line errors, a real server answering, and no server
library loaded at CLI start-up."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cnnlab.cli import main

SRC = str(Path(__file__).resolve().parents[2] / "src")


def env() -> dict:
    return {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    assert "cnnlab serve runs/demo --port 8080" in out and "--host" in out and "127.0.0.1" in out


HEAVY = "('fastapi', 'uvicorn', 'starlette', 'PIL', 'skimage')"


@pytest.mark.parametrize("start", ["import cnnlab.cli.serve", "from cnnlab.cli import build_parser; build_parser()"])
def test_cli_start_up_loads_no_server_library(start):
    code = f"import sys; {start}; print(sorted(m for m in {HEAVY} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(), check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    "argv, words",
    [
        (["serve", "no/such/run"], ["not a run folder"]),
        (["serve", "--port", "70000"], ["--port must be 1..65535"]),
    ],
)
def test_bad_arguments_are_one_line(capsys, tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and all(w in err for w in words), err


def test_a_busy_port_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"cannot listen on 127.0.0.1:{port}" in err, err


@pytest.mark.data
def test_serve_command_answers_on_loopback(mnist_run, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnlab", "serve", str(mnist_run), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=5) as response:
                    runs = json.load(response)["runs"]
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
                time.sleep(0.3)
        assert [r["model"] for r in runs] == ["lenet5"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            page = response.read().decode()
        assert '<canvas id="pad"' in page and "/static/app.js" in page and "http" not in page.split("<body>")[0]
    finally:
        process.terminate()
        process.wait(timeout=20)
