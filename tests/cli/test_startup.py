"""The NumPy commands start without torch: only the chosen command's module is imported."""

import json
import subprocess
import sys

import numpy as np
import pytest

# Runs one command in a fresh interpreter, then reports its exit code and which heavy libraries got loaded.
PROBE = """
import json, sys
from cnnlab.cli import main
code = main(sys.argv[1:])
HEAVY = ("torch", "sklearn", "fastapi", "xarray", "cnnlab.train", "cnnlab.models")
heavy = sorted(m for m in HEAVY if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def probe(*argv, cwd):
    """Exit code and heavy modules of `cnnlab ARGV` in a new interpreter, and what it printed."""
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert done.stderr.strip(), done.stdout
    return json.loads(done.stderr.strip().splitlines()[-1]), done.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["convolve", "1,2,3", "0,1,0.5"],
        ["correlate", "1,2,3;4,5,6;7,8,9", "1,0;0,-1", "--json"],
        ["pool", "1,3,2,4", "--size", "2", "--kind", "avg"],
        ["explain", "conv", "--in", "3x32x32", "--filters", "8", "--kernel", "3"],
        ["filter", "square.npy", "--kernel", "sobel_x", "--out", "square.png"],
    ],
)
def test_numpy_commands_never_import_torch(argv, tmp_path):
    square = np.zeros((16, 16))
    square[4:12, 4:12] = 1
    np.save(tmp_path / "square.npy", square)
    seen, out = probe(*argv, cwd=tmp_path)
    assert seen == {"code": 0, "heavy": []}, out
    assert out.strip()


def test_a_torch_command_still_loads_torch(tmp_path):
    seen, out = probe("models", "--json", cwd=tmp_path)
    assert seen["code"] == 0 and "torch" in seen["heavy"] and "lenet5" in out


def test_top_level_help_lists_every_command(capsys):
    from cnnlab.cli import COMMAND_MODULES, build_parser

    text = build_parser().format_help()
    for name in ["train", "eval", "convolve", "correlate", "pool", "filter", "explain"]:
        assert name in text
    assert len(COMMAND_MODULES) >= 12
