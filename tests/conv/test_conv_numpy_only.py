"""cnnlab.conv is the readable mathematics: it must not import torch (DESIGN.md)."""

import ast
from pathlib import Path

import cnnlab.conv

PACKAGE = Path(cnnlab.conv.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_cnnlab_conv_imports_torch():
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        assert imported_modules(path) <= {"__future__", "numpy", "cnnlab", "dataclasses", "itertools", "math"}, (
            path.name
        )


def test_public_api_is_complete():
    missing = [name for name in cnnlab.conv.__all__ if not hasattr(cnnlab.conv, name)]
    assert not missing
