"""The web app: the page (HTML, script and styles served from this package, nothing from a CDN) and its
JSON API over a RunCatalogue.

  GET  /                            the page
  GET  /api/runs                    the runs: id, model, data, test accuracy, whether they can predict
  POST /api/runs/{id}/predict       body: PNG/JPEG, or a JSON array of pixels -> top classes and layer shapes
                                    (?centre=1: MNIST's centring for 28x28 grey models; ?maps=1: activations)
  GET  /api/runs/{id}/first-layer   the first conv layer's filters, for the convolution stepper
  GET  /runs/{id}/report            the run's report.html (written first when missing and cnnlab.report can)
  GET  /api/kernels                 kernel names and sample pictures of the kernel playground
  POST /api/filter                  {"sample" or "pixels", "kernel", "size", "sigma"} -> input, kernel, output

Limits: bodies over 5 MB are refused (413) while they arrive; pictures over 4096x4096 are refused from their
header (400); at most two predictions are computed at once (the rest wait); every error is one line of JSON,
{"error": ...}, and a failure inside the server never sends its traceback.
"""

from __future__ import annotations

import json
import logging
import threading
from importlib import resources
from pathlib import Path

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from cnnlab.conv import kernels
from cnnlab.errors import CnnlabError
from cnnlab.serve.catalogue import RunCatalogue
from cnnlab.serve.playground import SAMPLES, apply_kernel, sample_image
from cnnlab.serve.uploads import RequestRefused, image_from_body, read_body

__all__ = ["create_app", "MAX_CONCURRENT_PREDICTIONS"]

MAX_CONCURRENT_PREDICTIONS = 2
STATIC = resources.files("cnnlab.serve") / "static"
# report.html is one self-contained file: it may use inline styles, scripts and data: images, and fetch nothing
REPORT_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; font-src data:"
)
log = logging.getLogger("cnnlab.serve")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status)


def create_app(catalogue: RunCatalogue) -> FastAPI:
    app = FastAPI(title="cnnlab", docs_url=None, redoc_url=None, openapi_url=None)
    limiter = anyio.CapacityLimiter(MAX_CONCURRENT_PREDICTIONS)
    report_lock = threading.Lock()
    app.state.catalogue = catalogue
    app.state.prediction_limiter = limiter

    @app.exception_handler(RequestRefused)
    async def refused(request: Request, error: RequestRefused):
        return _error(error.status, error.message)

    @app.exception_handler(CnnlabError)
    async def bad_input(request: Request, error: CnnlabError):
        return _error(400, str(error))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        return _error(error.status_code, error.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(400, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception):
        log.exception("error while answering %s %s", request.method, request.url.path)
        return _error(500, "internal server error; the server's log has the details")

    def entry_of(run_id: str):
        try:
            return catalogue.get(run_id)
        except KeyError:
            raise HTTPException(404, f"no run {run_id!r}; GET /api/runs lists the runs") from None

    @app.get("/", include_in_schema=False)
    async def page():
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/api/runs")
    async def list_runs():
        return {"runs": [entry.describe() for entry in catalogue.entries.values()]}

    @app.post("/api/runs/{run_id}/predict")
    async def predict(run_id: str, request: Request, centre: bool = False, maps: bool = False):
        entry = entry_of(run_id)
        if not entry.can_predict:
            raise RequestRefused(
                400,
                f"run {run_id} is a --task {entry.task} run or has no best.safetensors; "
                f"only finished image classification runs predict",
            )
        body = await read_body(request)

        def compute():
            predictor = catalogue.predictor(run_id)
            image = image_from_body(body, predictor.in_shape[0])
            result = predictor.predict(image, centre=centre, maps=maps)
            result["run"] = run_id
            return result

        return await anyio.to_thread.run_sync(compute, limiter=limiter)

    @app.get("/api/runs/{run_id}/first-layer")
    async def first_layer(run_id: str):
        entry = entry_of(run_id)
        if not entry.can_predict:
            raise RequestRefused(400, f"run {run_id} has no image classifier to show")
        predictor = await anyio.to_thread.run_sync(catalogue.predictor, run_id)
        layer = predictor.first_layer()
        return {"run": run_id, "in_shape": list(predictor.in_shape), "layer": layer}

    @app.get("/runs/{run_id}/report")
    async def report(run_id: str):
        entry = entry_of(run_id)
        path = entry.path / "report.html"
        problem = None
        if not path.is_file():
            problem = await anyio.to_thread.run_sync(_write_report, entry.path, report_lock)
        if not path.is_file():
            return HTMLResponse(_no_report_page(entry, problem), headers={"Content-Security-Policy": REPORT_POLICY})
        return FileResponse(path, media_type="text/html", headers={"Content-Security-Policy": REPORT_POLICY})

    @app.get("/api/kernels")
    async def kernel_names():
        return {"kernels": kernels.names(), "samples": list(SAMPLES)}

    @app.post("/api/filter")
    async def filter_image(request: Request):
        body = await read_body(request)
        try:
            spec = json.loads(body)
        except ValueError:
            raise RequestRefused(400, 'send JSON: {"sample": "camera", "kernel": "sobel_x"}') from None
        if not isinstance(spec, dict) or "kernel" not in spec:
            raise RequestRefused(400, 'send a JSON object with "kernel" and "sample" (or "pixels")')

        def compute():
            if "pixels" in spec:
                image = image_from_body(json.dumps(spec["pixels"]).encode(), 1)[0].numpy() / 255.0
            else:
                image = sample_image(str(spec.get("sample", "camera")))
            image = np.asarray(image, dtype=np.float64)
            return apply_kernel(image, spec["kernel"], spec.get("size"), spec.get("sigma"))

        return await anyio.to_thread.run_sync(compute, limiter=limiter)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml")

    return app


def _write_report(run_dir: Path, lock: threading.Lock) -> str | None:
    """report.html by cnnlab.report when that library can write one; else the reason it could not."""
    try:
        from cnnlab.report import write_report
    except ImportError:
        return None
    with lock:
        if not (run_dir / "report.html").is_file():
            try:
                write_report(run_dir)
            except CnnlabError as error:
                return str(error)
    return None


def _no_report_page(entry, problem: str | None) -> str:
    from html import escape

    why = f"<p>It could not be written: {escape(problem)}</p>" if problem else ""

    results = escape(json.dumps(entry.results, indent=2)) if entry.results else "no results.json"
    return (
        f"<!doctype html><meta charset=utf-8><title>{escape(entry.id)}</title>"
        f"<body style='font-family:sans-serif'><h1>{escape(entry.id)}</h1>"
        f"<p>This run has no report.html yet; <code>cnnlab report {escape(str(entry.path))}</code> writes it.</p>"
        f"{why}"
        f"<h2>results.json</h2><pre>{results}</pre></body>"
    )
