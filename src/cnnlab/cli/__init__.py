"""The `cnnlab` command: a thin argparse front over the library.

Each command lives in its own module under `cnnlab.cli` and exposes `register(subparsers)`, which adds
its parser and sets `run=function(args) -> int`. Errors meant for people (`CnnlabError`) become one line
on stderr and exit status 2; nothing else is caught, so bugs keep their tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from cnnlab.cli.common import Parser, one_line
from cnnlab.errors import CnnlabError

__all__ = ["main", "build_parser"]

# One module per command (or group of related commands), in the order `cnnlab --help` lists them.
COMMAND_MODULES = [
    "train",
    "bench",
    "evaluate",
    "predict",
    "summary",
    "models",
    "datasets",
    "convolve",  # convolve, correlate
    "pool",
    "filter",
    "explain",
    "experiment",
    "serve",
]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="cnnlab",
        description="cnnlab: a CNN laboratory on PyTorch. Run `cnnlab COMMAND --help` for examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"cnnlab.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # reported by the command's own parser, so the line names the command and its --help
        prog = getattr(args, "help_prog", parser.prog)
        print(f"{prog}: error: unrecognized arguments: {' '.join(unknown)}; see {prog} --help", file=sys.stderr)
        return 2
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except CnnlabError as error:
        print(f"cnnlab {args.command}: error: {one_line(error)}", file=sys.stderr)
        return getattr(error, "exit_status", 2)  # 130/143 for a run stopped by SIGINT/SIGTERM
    except KeyboardInterrupt:
        print(f"cnnlab {args.command}: interrupted", file=sys.stderr)
        return 130
