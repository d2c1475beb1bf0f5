"""The `cnnlab` command: a thin argparse front over the library.

Each command lives in its own module under `cnnlab.cli` and exposes `register(subparsers)`, which adds
its parser and sets `run=function(args) -> int`. Errors meant for people (`CnnlabError`) become one line
on stderr and exit status 2; nothing else is caught, so bugs keep their tracebacks.

Only the module of the command being run is imported (the others may load torch, which takes seconds):
`cnnlab convolve ...` never imports torch. A module is found by its command's name; a module that adds a
command under another name lists it in COMMAND_NAMES. `cnnlab --help` and unknown commands import them all.
"""

from __future__ import annotations

import argparse
import importlib
import sys

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

# Commands whose module has another name.
COMMAND_NAMES = {"correlate": "convolve", "eval": "evaluate"}


def build_parser(modules: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the commands of `modules` (default: every command module)."""
    parser = argparse.ArgumentParser(
        prog="cnnlab",
        description="cnnlab: a CNN laboratory on PyTorch. Run `cnnlab COMMAND --help` for examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES if modules is None else modules:
        importlib.import_module(f"cnnlab.cli.{name}").register(subparsers)
    return parser


def _module_of(argv: list[str]) -> str | None:
    """The command module named by the first argument, if that is a known command."""
    if not argv:
        return None
    module = COMMAND_NAMES.get(argv[0], argv[0])
    return module if module in COMMAND_MODULES else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    module = _module_of(argv)
    parser = build_parser(None if module is None else [module])
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except CnnlabError as error:
        print(f"cnnlab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cnnlab {args.command}: interrupted", file=sys.stderr)
        return 130
