"""cnnlab.serve: the local web app. `create_app(RunCatalogue(find_run_dirs([...])))` is an ASGI app;
`cnnlab serve` runs it on uvicorn."""

from cnnlab.serve.app import MAX_CONCURRENT_PREDICTIONS, create_app
from cnnlab.serve.catalogue import RunCatalogue, find_run_dirs

__all__ = ["create_app", "RunCatalogue", "find_run_dirs", "MAX_CONCURRENT_PREDICTIONS"]
