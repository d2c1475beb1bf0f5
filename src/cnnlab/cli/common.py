"""Small helpers shared by the command modules: parsing shapes, printing JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cnnlab.errors import CnnlabError

__all__ = ["parse_shape", "print_json", "add_command", "one_line", "Parser", "EXAMPLES"]

EXAMPLES = "examples:\n"


class Parser(argparse.ArgumentParser):
    """argparse with errors for people: one line naming the command and its --help, exit status 2.

    argparse's own error() prints the whole usage block first; a mistyped flag of `cnnlab train` would
    bury the one line that matters under thirty lines of usage. Sub-parsers inherit this class.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_defaults(help_prog=self.prog)  # the deepest parser that ran sets it last

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {one_line(message)}; see {self.prog} --help\n")


def one_line(text: str) -> str:
    """Collapse a message onto one line (numpy's and PIL's messages can hold newlines)."""
    return " ".join(str(text).split())


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
