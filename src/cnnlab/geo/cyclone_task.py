"""The `detect` and `segment` tasks on `synthetic-cyclones`.

Both train a field model (default a U-Net) to output one logit per cell, with loss
    BCE(logit, target) + (1 - dice),  dice = 2 sum(p t) / (sum p + sum t)   (p = sigmoid(logit)),
dice keeping the rare storm cells from being drowned by the background. The targets differ:
  segment: the storm core mask (cells within 2.5 Rmax of a centre)
  detect:  the centre region (cells within 2 cells of a centre), a heat-map of where centres are
Storms, their presence and centres are read from the predicted map (cnnlab.geo.detection_metrics), so
both tasks report presence accuracy/F1, IoU of their target mask and the centre error in cells and km.
Scenes: training, validation and test come from different seeds (test: always the same 500 scenes).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from cnnlab.errors import CnnlabError
from cnnlab.geo.cyclones import make_cyclone_scenes
from cnnlab.geo.detection_metrics import detection_scores
from cnnlab.geo.fit import fit, predict_in_batches, run_facts
from cnnlab.geo.forecast import json_number
from cnnlab.geo.padding import resolve_padding
from cnnlab.models import create_model, model_info
from cnnlab.train.checkpoint import load_weights
from cnnlab.train.device import resolve_device
from cnnlab.train.runs import default_run_dir, prepare_run_dir, write_json

__all__ = ["train_cyclones", "bce_dice_loss", "CYCLONE_DATA"]

CYCLONE_DATA = "synthetic-cyclones"
TEST_SEED = 1003


def bce_dice_loss(logits: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    bce = (F.binary_cross_entropy_with_logits(logits, target, reduction="none") * mask).sum() / mask.sum().clamp_min(1)
    p = torch.sigmoid(logits) * mask
    dice = 2 * (p * target).sum() / (p.sum() + (target * mask).sum()).clamp_min(1e-6)
    return bce + 1 - dice


def train_cyclones(config, overwrite: bool = False, log: Callable[[str], None] = print, progress: bool | None = None):
    from cnnlab.train.trainer import RunResult

    if config.data != CYCLONE_DATA:
        raise CnnlabError(f"--task {config.task} runs on --data {CYCLONE_DATA}, not {config.data!r} (a labelled storm dataset)")
    try:
        import scipy  # noqa: F401  smoothing, connected regions and centre matching
    except ImportError:
        raise CnnlabError("synthetic-cyclones needs scipy: pip install 'cnnlab[geo]'") from None
    started = time.perf_counter()
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    geo = config.geo
    n_train, n_test = int(geo.get("scenes", 1600)), int(geo.get("test_scenes", 500))
    n_val = int(geo.get("val_scenes", 300))
    if n_train < 1 or n_test < 1 or n_val < 0:
        raise CnnlabError("--scenes and --test-scenes must be >= 1, --val-scenes >= 0")
    size = int(geo.get("grid", 48))
    noise = float(geo.get("noise", 1.0))
    kwargs = dict(height=size, width=size, noise=noise)
    scenes = {"train": make_cyclone_scenes(n_train, seed=1 + 10 * config.seed, **kwargs),
              "val": make_cyclone_scenes(n_val, seed=2 + 10 * config.seed, **kwargs),
              "test": make_cyclone_scenes(n_test, seed=TEST_SEED, **kwargs)}
    target_name = "core" if config.task == "segment" else "centre_region"
    mean = scenes["train"].fields.mean(axis=(0, 2, 3))
    std = scenes["train"].fields.std(axis=(0, 2, 3)) + 1e-6
    # One array of all scenes; train/val/test are index ranges into it.
    fields = np.concatenate([s.fields for s in scenes.values()])
    fields = torch.from_numpy(((fields - mean[:, None, None]) / std[:, None, None]).astype(np.float32))
    targets = torch.from_numpy(np.concatenate([getattr(s, target_name) for s in scenes.values()]).astype(np.float32))[:, None]
    offsets = np.cumsum([0] + [len(s) for s in scenes.values()])
    index = {name: np.arange(offsets[i], offsets[i + 1]) for i, name in enumerate(scenes)}
    lat, lon = scenes["test"].lat, scenes["test"].lon

    padding = resolve_padding(geo.get("padding", "auto"), lon)
    options = dict(config.model_options)
    if "padding_mode" in model_info(config.model).options:
        options.setdefault("padding_mode", padding)
    model = create_model(config.model, (3, size, size), 1, output="field", **options).to(device)
    run_dir = Path(config.out) if config.out else default_run_dir(f"{CYCLONE_DATA}-{config.task}", config.model)
    prepare_run_dir(run_dir, overwrite)
    config.out = str(run_dir)
    config.save(run_dir / "config.json")

    def batch(idx: np.ndarray):
        idx_t = torch.from_numpy(idx)
        y = targets[idx_t]
        return fields[idx_t], y, torch.ones_like(y)

    params = sum(p.numel() for p in model.parameters())
    stats = {"channels": list(scenes["train"].channels), "mean": mean.tolist(), "std": std.tolist()}
    metadata = {"model": config.model, "data": CYCLONE_DATA, "task": config.task, "statistics": stats, "config": config.to_dict()}
    log(f"{config.task} storms ({target_name} mask) with {config.model} ({params:,} params, padding {options.get('padding_mode')}) on "
        f"{CYCLONE_DATA} 3x{size}x{size}: {n_train:,} train, {n_val:,} val, {n_test:,} test scenes; run folder {run_dir}")
    history, best_epoch = fit(model, batch, index["train"], index["val"], bce_dice_loss, config, device, run_dir, metadata, log, progress)
    train_time = time.perf_counter() - started
    load_weights(model, run_dir / "best.safetensors", config.model)
    probabilities = torch.sigmoid(torch.from_numpy(predict_in_batches(model, lambda idx: fields[torch.from_numpy(idx)], index["test"], device)))[:, 0].numpy()
    test = scenes["test"]
    scores, predicted_centres = detection_scores(probabilities, getattr(test, target_name), test.centres, lat, lon)
    results = {
        "test": {k: (json_number(v) if isinstance(v, float) else v) for k, v in scores.items()},
        "task": config.task,
        "target": target_name,
        "metrics": {"f1": "presence per scene (any storm), F1 over scenes", "iou": f"IoU of the predicted {target_name} mask, over all test cells",
                    "center_error_cells": "median distance of matched centres in grid cells", "center_error_km": "median great-circle distance of matched centres"},
        "scenes": {"train": n_train, "val": n_val, "test": n_test, "grid": size, "resolution_deg": float(lat[1] - lat[0])},
        **run_facts(history, best_epoch, train_time, started, config.model, CYCLONE_DATA, params, options.get("padding_mode"), device),
    }
    write_json(run_dir / "results.json", results)
    from cnnlab.figures import have_matplotlib

    if have_matplotlib():
        from cnnlab.geo import plots

        counts = np.array([len(c) for c in test.centres])  # show two storms, one storm (twice) and none
        show = [int(s) for k, n in ((2, 1), (1, 2), (0, 1)) for s in np.flatnonzero(counts == k)[:n]]
        true_centres = [test.centres[s][:, :2] for s in show]
        plots.plot_cyclones(run_dir / "cyclones.png", lat, lon, test.fields[show, 0], probabilities[show], getattr(test, target_name)[show],
                            true_centres, [predicted_centres[s] for s in show], "pressure (hPa)", f"{config.model} {config.task}")
        plots.plot_loss_curves(run_dir / "curves.png", history, f"{config.model} {config.task} on {CYCLONE_DATA}")
    t = results["test"]
    log(f"test: presence accuracy {t['accuracy']}, F1 {t['f1']}, {target_name} IoU {t['iou']}, "
        f"median centre error {t['center_error_cells']} cells ({t['center_error_km']} km)  -> {run_dir}")
    return RunResult(run_dir, results, history)
