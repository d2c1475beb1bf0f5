"""Choosing the device and the numeric precision."""

from __future__ import annotations

import contextlib

import torch

from cnnlab.errors import CnnlabError

__all__ = ["resolve_device", "cpu_supports_bf16", "fast_precision", "autocast_context"]


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks cuda, then mps, then cpu; an unavailable explicit choice is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise CnnlabError("--device cuda was asked for but no CUDA GPU is available; use --device cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise CnnlabError("--device mps was asked for but MPS is not available; use --device cpu or auto")
    try:
        return torch.device(name)
    except RuntimeError:
        raise CnnlabError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None


def cpu_supports_bf16() -> bool:
    """True where oneDNN has native bf16 kernels (AVX512-BF16 / AMX); elsewhere bf16 is emulated and slow."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def fast_precision(device_type: str = "cpu") -> str:
    """What `--precision auto` means: bf16 autocast where the hardware does bf16 natively (CUDA, or a CPU
    with AVX512-BF16/AMX), else fp32. Measured on such a CPU: 1.2-1.9x the images/s of fp32 for every
    model of the speed benchmark (docs/speed.md)."""
    if device_type == "cuda":
        return "bf16"
    return "bf16" if device_type == "cpu" and cpu_supports_bf16() else "fp32"


def autocast_context(precision: str, device: torch.device):
    """Mixed precision: fp32 master weights, bf16/fp16 compute where the device does it natively."""
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision == "fp16":
        if device.type != "cuda":
            raise CnnlabError("--precision fp16 needs a CUDA GPU; on CPU use bf16 (where supported) or fp32")
        return torch.autocast("cuda", dtype=torch.float16)
    if precision == "bf16":
        if device.type == "cpu" and not cpu_supports_bf16():
            raise CnnlabError("--precision bf16: this CPU has no native bf16 support (AVX512-BF16/AMX); use fp32")
        return torch.autocast(device.type, dtype=torch.bfloat16)
    raise CnnlabError(f"unknown precision {precision!r}; choose fp32, bf16 or fp16")
