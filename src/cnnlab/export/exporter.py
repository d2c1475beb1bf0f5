"""Export a run folder's model to ONNX or TorchScript, then prove the file computes what torch computes.

The proof runs the file in its own runtime (onnxruntime; torch.jit.load) on real test images of the
run's dataset and compares the logits with the PyTorch model's: the largest absolute difference and
whether the top-1 class agrees on every image are returned and printed.
"""

from __future__ import annotations

import io
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from cnnlab.errors import CnnlabError, CnnlabWarning
from cnnlab.export.raw_pixels import RawPixelModel

__all__ = ["export_run", "ExportResult", "EXPORT_FORMATS", "export_onnx", "export_torchscript", "OPSET"]

EXPORT_FORMATS = ("onnx", "torchscript")
OPSET = 17  # supported by onnxruntime >= 1.14 and by every browser/mobile runtime of the last years
CHECK_IMAGES = 100


@dataclass
class ExportResult:
    path: Path
    format: str
    metadata: dict
    images_checked: int = 0
    checked_on: str = ""  # "test images", or "random pixels" when the run's test images cannot be read
    max_abs_difference: float = float("nan")
    top1_agreement: float = float("nan")
    seconds: dict = field(default_factory=dict)


def _metadata(config, spec, in_shape) -> dict:
    from cnnlab.version import __version__

    return {
        "model": config.model,
        "data": config.data,
        "classes": list(spec.classes),
        "input_shape": list(in_shape),
        "input": "raw pixels, float32 0..255, N x C x H x W",
        "mean": list(spec.mean),
        "std": list(spec.std),
        "cnnlab_version": __version__,
    }


def _write_atomically(path: Path, data: bytes) -> None:
    from cnnlab.files import atomic_write

    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def export_onnx(model: RawPixelModel, example: torch.Tensor, metadata: dict, path: Path) -> None:
    """ONNX file with a dynamic batch axis, input `pixels`, output `logits`, checked by onnx.checker."""
    try:
        import onnx
    except ImportError:
        raise CnnlabError("ONNX export needs onnx and onnxruntime: pip install 'cnnlab[export]'") from None
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter announces its deprecation on every call
        # dynamo=False: the TorchScript-based exporter takes about 1 s for LeNet-5; the dynamo one took 40 s here.
        torch.onnx.export(
            model,
            (example,),
            buffer,
            input_names=["pixels"],
            output_names=["logits"],
            dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    proto = onnx.load_from_string(buffer.getvalue())
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value) if not isinstance(value, str) else value
    proto.producer_name = "cnnlab"
    onnx.checker.check_model(proto, full_check=True)
    _write_atomically(path, proto.SerializeToString())


def export_torchscript(model: RawPixelModel, example: torch.Tensor, metadata: dict, path: Path) -> None:
    """TorchScript (traced) with the metadata as `cnnlab.json` in the archive's extra files."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, example, check_trace=False)
        buffer = io.BytesIO()
        torch.jit.save(traced, buffer, _extra_files={"cnnlab.json": json.dumps(metadata)})
    _write_atomically(path, buffer.getvalue())


def _run_onnx(path: Path, pixels: np.ndarray) -> np.ndarray:
    try:
        import onnxruntime
    except ImportError:
        raise CnnlabError("checking the ONNX file needs onnxruntime: pip install 'cnnlab[export]'") from None
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["logits"], {"pixels": pixels})[0]


def _run_torchscript(path: Path, pixels: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = torch.jit.load(str(path), map_location="cpu")
    with torch.no_grad():
        return loaded(torch.from_numpy(pixels)).numpy()


def _check_pixels(config, spec, data_dir) -> tuple[np.ndarray, str]:
    """CHECK_IMAGES test images of the run's data as float pixels, and what they are. Own data may be gone
    (the run stored what export needs of it): then seeded random pixels still prove the file computes what
    torch computes."""
    from cnnlab.data import load_dataset
    from cnnlab.data.own_data import is_own_data

    try:
        test = load_dataset(config.data, "test", data_dir or config.data_dir)
    except CnnlabError as error:
        if not is_own_data(config.data):
            raise
        warnings.warn(
            f"checked on random pixels: the run's test images cannot be read ({error})", CnnlabWarning, stacklevel=3
        )
        generator = np.random.default_rng(0)
        return generator.integers(0, 256, (CHECK_IMAGES, *spec.in_shape)).astype(np.float32), "random pixels"
    return test.images[:CHECK_IMAGES].float().numpy(), "test images"


def export_run(
    run_dir: str | Path,
    format: str = "onnx",
    out: str | Path | None = None,
    checkpoint: str = "best",
    check: bool = True,
    data_dir: str | None = None,
) -> ExportResult:
    """Write the run's model as `format` (raw pixels in, logits out) and compare it with torch on test images."""
    from cnnlab.data import dataset_spec
    from cnnlab.train import load_run_model
    from cnnlab.train.runs import trained_data

    if format not in EXPORT_FORMATS:
        raise CnnlabError(f"unknown export format {format!r}; choose one of: {', '.join(EXPORT_FORMATS)}")
    run_dir = Path(run_dir)
    started = time.perf_counter()
    with trained_data(run_dir):  # own data: the classes and statistics it was trained with, even once it is gone
        model, config = load_run_model(run_dir, checkpoint, torch.device("cpu"))
        spec = dataset_spec(config.data)
        return _export(run_dir, model, config, spec, format, out, check, data_dir, started)


def _export(run_dir, model, config, spec, format, out, check, data_dir, started) -> ExportResult:
    model = model.float().to(memory_format=torch.contiguous_format)
    wrapped = RawPixelModel(model, spec.mean, spec.std).eval()
    suffix = {"onnx": ".onnx", "torchscript": ".pt"}[format]
    path = Path(out) if out else run_dir / f"model{suffix}"
    metadata = _metadata(config, spec, spec.in_shape)
    example = torch.full((2, *spec.in_shape), 128.0)
    writer = export_onnx if format == "onnx" else export_torchscript
    try:
        writer(wrapped, example, metadata, path)
    except CnnlabError:
        raise
    except Exception as error:  # an operator the format cannot express: say which model and why
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CnnlabError(f"{config.model} cannot be exported to {format}: {reason}") from None
    result = ExportResult(path, format, metadata, seconds={"export": time.perf_counter() - started})
    if check:
        checked = time.perf_counter()
        pixels, result.checked_on = _check_pixels(config, spec, data_dir)
        with torch.no_grad():
            expected = wrapped(torch.from_numpy(pixels)).numpy()
        got = (_run_onnx if format == "onnx" else _run_torchscript)(path, pixels)
        result.images_checked = len(pixels)
        result.max_abs_difference = float(np.abs(got - expected).max())
        result.top1_agreement = float((got.argmax(1) == expected.argmax(1)).mean())
        result.seconds["check"] = time.perf_counter() - checked
    return result
