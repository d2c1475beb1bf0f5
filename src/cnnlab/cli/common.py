"""Small helpers shared by the command modules: parsing shapes, printing JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cnnlab.errors import CnnlabError

__all__ = ["parse_shape", "print_json", "add_command", "EXAMPLES"]

EXAMPLES = "examples:\n"


def parse_shape(text: str) -> tuple[int, ...]:
    """`3x32x32` -> (3, 32, 32). Raises CnnlabError on anything else."""
    parts = text.lower().replace("×", "x").split("x")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise CnnlabError(f"shape {text!r} is not of the form CxHxW, e.g. 1x28x28 or 3x32x32") from None
    if any(s <= 0 for s in shape):
        raise CnnlabError(f"shape {text!r} has a size <= 0; every size must be a positive integer")
    return shape


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")


def add_command(subparsers, name: str, help: str, examples: str, run) -> argparse.ArgumentParser:
    """Add a sub-command whose --help ends with real examples."""
    parser = subparsers.add_parser(
        name,
        help=help,
        description=help,
        epilog=EXAMPLES + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    return parser
