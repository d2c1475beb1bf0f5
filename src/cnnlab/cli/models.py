"""`cnnlab models`: the model zoo."""

from __future__ import annotations

from cnnlab.cli.common import add_command, print_json
from cnnlab.models import list_models, model_info

EXAMPLES = """\
  cnnlab models
      lenet5      lenet       LeNet-5: conv5-pool-conv5-pool-fc120-fc84; ...
  cnnlab models --json
"""


def register(subparsers) -> None:
    p = add_command(subparsers, "models", "List the registered models and their options.", EXAMPLES, run)
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    infos = [model_info(name) for name in list_models()]
    if args.json:
        print_json(
            {
                "models": [
                    {
                        "name": i.name,
                        "family": i.family,
                        "summary": i.summary,
                        "options": {k: repr(v) for k, v in i.options.items()},
                        "lr": i.lr,
                    }
                    for i in infos
                ]
            }
        )
        return 0
    width = max(len(i.name) for i in infos)
    family = max(len(i.family) for i in infos)
    for i in infos:
        options = ", ".join(f"{k}={v!r}" for k, v in i.options.items())
        lr = f"  [suggested lr {i.lr:g}]" if i.lr else ""
        print(
            f"{i.name:<{width}}  {i.family:<{family}}  {i.summary}"
            + (f"  [options: {options}]" if options else "")
            + lr
        )
    return 0
