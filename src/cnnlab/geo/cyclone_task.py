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

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cnnlab.errors import CnnlabError
from cnnlab.geo.cyclones import make_cyclone_scenes
from cnnlab.geo.detection_metrics import detection_scores
from cnnlab.geo.field_task import FieldTask, json_number, predict_in_batches
from cnnlab.geo.options import CYCLONE_DATA, options_for
from cnnlab.geo.padding import grid_padding_mode
from cnnlab.models import create_model, model_info
from cnnlab.train.checkpoint import load_weights, read_safetensors
from cnnlab.train.runs import default_run_dir, open_run, write_json
from cnnlab.train.tasks import register_task

__all__ = ["CycloneTask", "bce_dice_loss", "CYCLONE_DATA"]

TEST_SEED = 1003


def bce_dice_loss(logits: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    bce = (F.binary_cross_entropy_with_logits(logits, target, reduction="none") * mask).sum() / mask.sum().clamp_min(1)
    p = torch.sigmoid(logits) * mask
    dice = 2 * (p * target).sum() / (p.sum() + (target * mask).sum()).clamp_min(1e-6)
    return bce + 1 - dice


def _normalised(fields: np.ndarray, mean, std) -> torch.Tensor:
    mean, std = np.asarray(mean), np.asarray(std)
    return torch.from_numpy(((fields - mean[:, None, None]) / std[:, None, None]).astype(np.float32))


def _test_probabilities(model, fields: torch.Tensor, index: np.ndarray, device) -> np.ndarray:
    logits = predict_in_batches(model, lambda idx: fields[torch.from_numpy(idx)], index, device)
    return torch.sigmoid(torch.from_numpy(logits))[:, 0].numpy()


def _scores(probabilities, test, target_name: str):
    scores, predicted_centres = detection_scores(
        probabilities, getattr(test, target_name), test.centres, test.lat, test.lon
    )
    return {k: (json_number(v) if isinstance(v, float) else v) for k, v in scores.items()}, predicted_centres


def _scene_options(config) -> tuple[dict, int]:
    options = options_for(config.task, config.geo)
    return dict(height=options.grid, width=options.grid, noise=options.noise), options.grid


@register_task("detect", "segment")
class CycloneTask(FieldTask):
    def prepare(self, config, device) -> None:
        if config.data != CYCLONE_DATA:
            raise CnnlabError(
                f"--task {config.task} runs on --data {CYCLONE_DATA}, not {config.data!r} (a labelled storm dataset)"
            )
        try:
            import scipy  # noqa: F401  smoothing, connected regions and centre matching
        except ImportError:
            raise CnnlabError("synthetic-cyclones needs scipy: pip install 'cnnlab[geo]'") from None
        geo = options_for(config.task, config.geo)
        n_train, n_val, n_test = geo.scenes, geo.val_scenes, geo.test_scenes
        kwargs, self.size = _scene_options(config)
        scenes = {
            "train": make_cyclone_scenes(n_train, seed=1 + 10 * config.seed, **kwargs),
            "val": make_cyclone_scenes(n_val, seed=2 + 10 * config.seed, **kwargs),
            "test": make_cyclone_scenes(n_test, seed=TEST_SEED, **kwargs),
        }
        self.target_name = target_name = "core" if config.task == "segment" else "centre_region"
        mean = scenes["train"].fields.mean(axis=(0, 2, 3))
        std = scenes["train"].fields.std(axis=(0, 2, 3)) + 1e-6
        # One array of all scenes; train/val/test are index ranges into it.
        fields = _normalised(np.concatenate([s.fields for s in scenes.values()]), mean, std)
        targets = torch.from_numpy(
            np.concatenate([getattr(s, target_name) for s in scenes.values()]).astype(np.float32)
        )[:, None]
        offsets = np.cumsum([0] + [len(s) for s in scenes.values()])
        self.splits = {name: np.arange(offsets[i], offsets[i + 1]) for i, name in enumerate(scenes)}
        self.fields, self.test_scenes = fields, scenes["test"]
        self.stats = {"channels": list(scenes["train"].channels), "mean": mean.tolist(), "std": std.tolist()}
        self.options = dict(config.model_options)
        if "padding_mode" in model_info(config.model).options:
            self.options.setdefault("padding_mode", grid_padding_mode(geo.padding, self.test_scenes.lon))
        self.loss_fn = bce_dice_loss

        def sample(idx: np.ndarray):
            idx_t = torch.from_numpy(idx)
            y = targets[idx_t]
            return fields[idx_t], y, torch.ones_like(y)

        self.sample = sample

    def model_shape(self, config):
        return (3, self.size, self.size), 1, self.options

    def default_run_dir(self, config) -> Path:
        return default_run_dir(f"{CYCLONE_DATA}-{config.task}", config.model)

    def checkpoint_metadata(self, config) -> dict:
        return {
            "model": config.model,
            "data": CYCLONE_DATA,
            "task": config.task,
            "statistics": self.stats,
            "padding_mode": self.options.get("padding_mode"),
        }

    def describe(self, config, params, run_dir, where) -> str:
        counts = {k: len(v) for k, v in self.splits.items()}
        return (
            f"{config.task} storms ({self.target_name} mask) with {config.model} ({params:,} params, padding "
            f"{self.options.get('padding_mode')}) on {CYCLONE_DATA} 3x{self.size}x{self.size}: "
            f"{counts['train']:,} train, "
            f"{counts['val']:,} val, {counts['test']:,} test scenes"
        )

    def test(self, run):
        probabilities = _test_probabilities(run.engine.model, self.fields, self.splits["test"], run.device)
        test, predicted_centres = _scores(probabilities, self.test_scenes, self.target_name)
        lat = self.test_scenes.lat
        results = {
            "test": test,
            "task": run.config.task,
            "target": self.target_name,
            "metrics": {
                "f1": "presence per scene (any storm), F1 over scenes",
                "iou": f"IoU of the predicted {self.target_name} mask, over all test cells",
                "center_error_cells": "median distance of matched centres in grid cells",
                "center_error_km": "median great-circle distance of matched centres",
            },
            "scenes": {
                "train": len(self.splits["train"]),
                "val": len(self.splits["val"]),
                "test": len(self.splits["test"]),
                "grid": self.size,
                "resolution_deg": float(lat[1] - lat[0]),
            },
            **self.run_facts(run, self.options.get("padding_mode")),
        }
        return results, {"probabilities": probabilities, "predicted_centres": predicted_centres}

    def write(self, run, results, artifacts, log) -> None:
        write_json(run.run_dir / "results.json", results)
        from cnnlab.figures import have_matplotlib

        config, test, target_name = run.config, self.test_scenes, self.target_name
        if have_matplotlib():
            from cnnlab.geo import plots

            probabilities, predicted_centres = artifacts["probabilities"], artifacts["predicted_centres"]
            counts = np.array([len(c) for c in test.centres])  # show two storms, one storm (twice) and none
            show = [int(s) for k, n in ((2, 1), (1, 2), (0, 1)) for s in np.flatnonzero(counts == k)[:n]]
            true_centres = [test.centres[s][:, :2] for s in show]
            plots.plot_cyclones(
                run.run_dir / "cyclones.png",
                test.lat,
                test.lon,
                test.fields[show, 0],
                probabilities[show],
                getattr(test, target_name)[show],
                true_centres,
                [predicted_centres[s] for s in show],
                "pressure (hPa)",
                f"{config.model} {config.task}",
            )
            plots.plot_loss_curves(
                run.run_dir / "curves.png", run.history, f"{config.model} {config.task} on {CYCLONE_DATA}"
            )
        log(_score_line(results["test"], target_name) + f"  -> {run.run_dir}")

    def evaluate_run(self, run_dir, config, which, device, data_dir):
        """The test scenes again (a fixed seed), normalised with the statistics in the checkpoint."""
        _, weights = open_run(run_dir, which)
        _, metadata = read_safetensors(weights)
        stats = metadata.get("statistics")
        if not stats or metadata.get("task") not in ("detect", "segment"):
            raise CnnlabError(f"{weights} holds no storm statistics; it was not written by --task detect or segment")
        kwargs, size = _scene_options(config)
        test = make_cyclone_scenes(options_for(config.task, config.geo).test_scenes, seed=TEST_SEED, **kwargs)
        options = dict(config.model_options)
        if metadata.get("padding_mode"):
            options["padding_mode"] = metadata["padding_mode"]
        model = create_model(config.model, (3, size, size), 1, output="field", **options)
        load_weights(model, weights, config.model)
        target_name = "core" if config.task == "segment" else "centre_region"
        probabilities = _test_probabilities(
            model.to(device), _normalised(test.fields, stats["mean"], stats["std"]), np.arange(len(test)), device
        )
        scores, _ = _scores(probabilities, test, target_name)
        return {
            "model": config.model,
            "data": config.data,
            "checkpoint": which,
            "target": target_name,
            "scenes": len(test),
            "test": scores,
        }

    def evaluation_text(self, evaluation) -> str:
        return (
            f"{evaluation['model']} on {evaluation['data']} ({evaluation['checkpoint']}.safetensors), "
            f"{evaluation['scenes']:,} test scenes\n" + _score_line(evaluation["test"], evaluation["target"])
        )


def _score_line(t: dict, target_name: str) -> str:
    return (
        f"test: presence accuracy {t['accuracy']}, F1 {t['f1']}, {target_name} IoU {t['iou']}, "
        f"median centre error {t['center_error_cells']} cells ({t['center_error_km']} km)"
    )
