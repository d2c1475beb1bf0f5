"""A real uvicorn server on a free loopback port, in a thread of the test process, for the web-app tests."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest


@contextlib.contextmanager
def running_server(app):
    """Serve `app` on 127.0.0.1 (a free port) until the block ends; yield its base URL."""
    uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed (serve extra)")
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
