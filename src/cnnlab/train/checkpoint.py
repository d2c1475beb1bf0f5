"""Checkpoints: weights in safetensors, training state (optimiser, schedule, RNG) in a torch file.

Every file is written atomically (cnnlab.files), so a run killed at any moment leaves either the old or
the new file.
State files are read back with `torch.load(weights_only=True)`, which refuses to run pickled code.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import save_file
from torch import nn

from cnnlab.errors import CnnlabError
from cnnlab.files import atomic_write

__all__ = ["save_weights", "load_weights", "read_safetensors", "save_state", "load_state"]


def save_weights(model: nn.Module, path: Path, metadata: dict | None = None) -> None:
    """Weights (and buffers such as batch-norm statistics) as safetensors; metadata as JSON strings."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {k: json.dumps(v) for k, v in (metadata or {}).items()}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=meta))


def read_safetensors(path: Path, framework: str = "pt") -> tuple[dict, dict]:
    """The tensors of a safetensors file (torch tensors for "pt", arrays for "np") and its JSON metadata."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework) as f:
            metadata = {k: json.loads(v) for k, v in (f.metadata() or {}).items()}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (OSError, SafetensorError, ValueError) as error:
        raise CnnlabError(f"cannot read checkpoint {path}: {error}") from None
    return tensors, metadata


def load_weights(model: nn.Module, path: Path, model_name: str = "") -> dict:
    """Load safetensors weights into `model`; returns the file's metadata. Clear error on a mismatch."""
    tensors, metadata = read_safetensors(path, "pt")
    expected = model.state_dict()
    written_for = metadata.get("model", "another model")
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = [k for k in expected if k in tensors and tensors[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        detail = (
            (f"missing {missing[:3]}" if missing else "")
            or (f"unexpected {unexpected[:3]}" if unexpected else "")
            or (
                f"{wrong[0]} has shape {tuple(tensors[wrong[0]].shape)}, "
                f"the model needs {tuple(expected[wrong[0]].shape)}"
            )
        )
        raise CnnlabError(
            f"checkpoint {path} was written for {written_for}, not for {model_name or 'this model'} ({detail})"
        )
    model.load_state_dict(tensors)
    return metadata


def save_state(state: dict, path: Path) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_state(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as error:
        raise CnnlabError(f"cannot read training state {path}: {error}") from None
