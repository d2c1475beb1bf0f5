"""`cnnlab serve [RUN_DIR ...]`: the local web app (FastAPI on uvicorn) over trained runs."""

from __future__ import annotations

import ipaddress
import sys

from cnnlab.cli.common import add_command
from cnnlab.errors import CnnlabError

EXAMPLES = """\
  cnnlab serve                          # every run under runs/, on http://127.0.0.1:8000
  cnnlab serve runs/demo --port 8080    # one run
  curl -s --data-binary @digit.png http://127.0.0.1:8000/api/runs/demo/predict
      {"top": [{"class": "7", "probability": 0.998}, ...], "layers": [{"name": "features.0", ...}, ...]}
The page: pick a run and see its report; draw a digit (or drop a picture) and watch the top classes and every
conv layer's activations; step a first-layer filter over the input; try kernels on photographs.
It listens on the loopback address only, unless --host says otherwise (it has no login: do not expose it).
"""


def register(subparsers) -> None:
    p = add_command(
        subparsers, "serve", "Local web app: draw digits, see layer activations, step convolutions.", EXAMPLES, run
    )
    p.add_argument(
        "run_dirs",
        nargs="*",
        metavar="RUN_DIR",
        help="run folders, or folders holding run folders (default: every run under runs/)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")


def run(args) -> int:
    if not 0 < args.port < 65536:
        raise CnnlabError(f"--port must be 1..65535, got {args.port}")
    try:
        import torch
        import uvicorn

        from cnnlab.serve import RunCatalogue, create_app, find_run_dirs
    except ImportError as error:
        raise CnnlabError(f"cnnlab serve needs {error.name}: pip install 'cnnlab[serve]'") from None
    catalogue = RunCatalogue(find_run_dirs(args.run_dirs))
    _check_can_listen(args.host, args.port)
    if not _is_loopback(args.host):
        print(
            f"cnnlab serve: warning: listening on {args.host}: anyone who can reach it can use the app", file=sys.stderr
        )
    names = ", ".join(catalogue.entries) or "none (the kernel playground still works; give RUN_DIR or train one)"
    print(f"runs: {names}")
    print(f"open http://{args.host}:{args.port}/  (Ctrl-C stops)")
    # One image per request: a single intra-op thread per prediction is fastest, and two predictions at once
    # then use two cores. With torch's default (a thread per core) LeNet-5 with activation maps took a median
    # of 180 ms instead of 1.7 ms on a busy 2-core machine: the threads wait for each other.
    torch.set_num_threads(1)
    uvicorn.run(create_app(catalogue), host=args.host, port=args.port, log_level="warning")
    return 0


def _check_can_listen(host: str, port: int) -> None:
    """uvicorn logs a busy port and exits; say it in one line before starting instead."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        raise CnnlabError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; give another --port or --host"
        ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
