"""The layers' dependency arrows: cnnlab.train never loads cnnlab.geo, and no module imports another's private name."""

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cnnlab"


def test_importing_cnnlab_train_loads_no_geo_module():
    code = "import sys, cnnlab.train.loop; print(sorted(m for m in sys.modules if m.startswith('cnnlab.geo')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip() == "[]"


def test_a_gridded_task_is_found_without_importing_geo_by_hand():
    code = "import sys; from cnnlab.train import get_task; print(type(get_task('forecast')).__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip() == "cnnlab.geo.forecast"


def _private_imports(text: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnnlab"):
            found += [
                f"{where}: from {node.module} import {a.name}"
                for a in node.names
                if a.name.startswith("_") and not a.name.startswith("__")
            ]
    return found


def test_no_module_imports_a_private_name_of_another():
    found = [
        line
        for path in sorted(SRC.rglob("*.py"))
        for line in _private_imports(path.read_text(), str(path.relative_to(SRC)))
    ]
    assert found == []


def test_the_private_import_check_finds_one():
    text = "from cnnlab.train.loop import train, _train\nfrom cnnlab.conv import __all__\nfrom numpy import _x\n"
    assert _private_imports(text, "x.py") == ["x.py: from cnnlab.train.loop import _train"]
