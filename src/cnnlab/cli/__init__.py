"""The `cnnlab` command: a thin argparse front over the library.

Each command lives in its own module under `cnnlab.cli` and exposes `register(subparsers)`, which adds
its parser and sets `run=function(args) -> int`. Errors meant for people (`CnnlabError`) become one line
on stderr and exit status 2; nothing else is caught, so bugs keep their tracebacks.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
import warnings

from cnnlab.cli.common import Parser, one_line
from cnnlab.errors import CnnlabError, CnnlabWarning
from cnnlab.version import __version__

__all__ = ["main", "build_parser"]

# One module per command (or group of related commands), in the order `cnnlab --help` lists them.
COMMAND_MODULES = [
    "train",
    "bench",
    "evaluate",
    "predict",
    "summary",
    "report",
    "models",
    "datasets",
    "convolve",  # convolve, correlate
    "pool",
    "filter",
    "explain",
    "experiment",
    "serve",
    "export",
    "runs",  # runs, compare
    "completion",
]
# Commands whose module has another name; every other command lives in the module of its own name.
COMMAND_ALIASES = {"correlate": "convolve", "eval": "evaluate", "compare": "runs"}


def build_parser(modules: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of those in `modules` (a command starts faster when the other
    commands' modules, some of which import torch, are not imported)."""
    parser = Parser(
        prog="cnnlab",
        description="cnnlab: a CNN laboratory on PyTorch. Run `cnnlab COMMAND --help` for examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cnnlab {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES if modules is None else modules:
        importlib.import_module(f"cnnlab.cli.{name}").register(subparsers)
    parser.set_defaults(commands=sorted(subparsers.choices))
    return parser


def _parser_for(argv: list[str]) -> argparse.ArgumentParser:
    first = argv[0] if argv and "_ARGCOMPLETE" not in os.environ else ""
    module = COMMAND_ALIASES.get(first, first)
    if module in COMMAND_MODULES:
        parser = build_parser([module])
        if first in parser.get_default("commands"):
            return parser
    return build_parser()


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """'unknown command ...; did you mean ...?' when the first word is not a command, else None."""
    if not argv or argv[0].startswith("-"):
        return None
    commands = parser.get_default("commands")
    if argv[0] in commands:
        return None
    close = difflib.get_close_matches(argv[0], list(commands), n=1)
    hint = f"did you mean `cnnlab {close[0]}`? " if close else ""
    return f"cnnlab: error: unknown command {argv[0]!r}; {hint}`cnnlab --help` lists the commands"


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    if issubclass(category, CnnlabWarning):
        return f"cnnlab: warning: {message}\n"
    return _default_formatwarning(message, category, filename, lineno, line)


_default_formatwarning = warnings.formatwarning


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser_for(argv)
    _enable_completion(parser)
    unknown = _unknown_command(parser, argv)
    if unknown:
        print(unknown, file=sys.stderr)
        return 2
    args, unknown_args = parser.parse_known_args(argv)
    if unknown_args:  # reported by the command's own parser, so the line names the command and its --help
        prog = getattr(args, "help_prog", parser.prog)
        print(f"{prog}: error: unrecognized arguments: {' '.join(unknown_args)}; see {prog} --help", file=sys.stderr)
        return 2
    warnings.formatwarning = _one_line_warning
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
    finally:
        warnings.formatwarning = _default_formatwarning


def _enable_completion(parser: argparse.ArgumentParser) -> None:
    # argcomplete answers the shell's completion request (and exits) when the shell asked for one; it is
    # optional and costs nothing otherwise: the environment variable is checked before the import.
    if "_ARGCOMPLETE" in os.environ:
        try:
            import argcomplete
        except ImportError:
            return
        argcomplete.autocomplete(parser)
