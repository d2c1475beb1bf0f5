"""`cnnlab completion bash|zsh`: the shell code that completes cnnlab's commands and flags (argcomplete)."""

from __future__ import annotations

from cnnlab.cli.common import add_command
from cnnlab.errors import CnnlabError

EXAMPLES = """\
  eval "$(cnnlab completion bash)"      # in ~/.bashrc: `cnnlab tr<TAB>` -> `cnnlab train`
  eval "$(cnnlab completion zsh)"       # in ~/.zshrc
  cnnlab completion bash > ~/.local/share/bash-completion/completions/cnnlab
"""


def register(subparsers) -> None:
    p = add_command(
        subparsers, "completion", "Print shell code that completes cnnlab commands and flags.", EXAMPLES, run
    )
    p.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")


def run(args) -> int:
    try:
        import argcomplete
    except ImportError:
        raise CnnlabError("shell completion needs argcomplete: pip install 'cnnlab[completion]'") from None
    print(argcomplete.shellcode(["cnnlab"], shell=args.shell), end="")
    return 0
