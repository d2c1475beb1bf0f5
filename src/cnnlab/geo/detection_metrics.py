"""Scores of storm detection and segmentation from predicted probability maps.

A predicted storm is a connected region (8-neighbour) of cells with probability > 0.5 and at least
`min_cells` cells; its centre is the probability-weighted centroid (fractional row, column). Then:
  presence: a scene is positive when it holds a storm; accuracy and F1 = 2 TP / (2 TP + FP + FN) over scenes
  iou:      |predicted mask AND true mask| / |predicted mask OR true mask|, summed over all test cells
  centres:  predicted and true centres are paired by minimum total distance (Hungarian), pairs farther
            than `match_cells` apart count as a miss and a false alarm; centre error of the pairs in
            grid cells (Euclidean in row/column) and in km (great-circle distance)
"""

from __future__ import annotations

import numpy as np

from cnnlab.geo.cyclones import EARTH_RADIUS_KM

__all__ = ["find_storms", "detection_scores", "great_circle_km"]


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance on a sphere of radius 6371 km."""
    p1, p2 = np.deg2rad(lat1), np.deg2rad(lat2)
    dlat, dlon = p2 - p1, np.deg2rad(np.asarray(lon2) - lon1)
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def find_storms(probability: np.ndarray, min_cells: int = 3) -> np.ndarray:
    """Centres (k, 2) as fractional (row, col) of the storms in one (H, W) probability map."""
    from scipy import ndimage

    labels, count = ndimage.label(probability > 0.5, structure=np.ones((3, 3)))
    centres = []
    for k in range(1, count + 1):
        region = labels == k
        if region.sum() < min_cells:
            continue
        weights = probability * region
        rows, cols = np.indices(probability.shape)
        centres.append((float((rows * weights).sum() / weights.sum()), float((cols * weights).sum() / weights.sum())))
    return np.array(centres, np.float64).reshape(-1, 2)


def _to_latlon(points: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.interp(points[:, 0], np.arange(len(lat)), lat), np.interp(points[:, 1], np.arange(len(lon)), lon)


def detection_scores(
    probabilities: np.ndarray,
    true_masks: np.ndarray,
    true_centres: list[np.ndarray],
    lat: np.ndarray,
    lon: np.ndarray,
    min_cells: int = 3,
    match_cells: float = 5.0,
) -> tuple[dict, list[np.ndarray]]:
    """Scores over N scenes: probabilities and true_masks (N, H, W); true_centres per scene (k, 4) lat, lon, row, col.
    Returns the scores and the predicted centres per scene (k, 2) as lat, lon."""
    from scipy.optimize import linear_sum_assignment

    predicted = [find_storms(p, min_cells) for p in probabilities]
    truth_present = np.array([len(c) > 0 for c in true_centres])
    predicted_present = np.array([len(c) > 0 for c in predicted])
    tp = int((truth_present & predicted_present).sum())
    fp = int((~truth_present & predicted_present).sum())
    fn = int((truth_present & ~predicted_present).sum())
    errors_cells, errors_km, matched, false_alarms, misses = [], [], 0, 0, 0
    for pred, true in zip(predicted, true_centres):
        if len(pred) and len(true):
            cost = np.hypot(pred[:, None, 0] - true[None, :, 2], pred[:, None, 1] - true[None, :, 3])
            rows, cols = linear_sum_assignment(cost)
            good = cost[rows, cols] <= match_cells
            rows, cols = rows[good], cols[good]
            errors_cells.extend(cost[rows, cols].tolist())
            p_lat, p_lon = _to_latlon(pred[rows], lat, lon)
            errors_km.extend(great_circle_km(true[cols, 0], true[cols, 1], p_lat, p_lon).tolist())
            matched += len(rows)
        else:
            rows = np.array([], int)
        false_alarms += len(pred) - len(rows)
        misses += len(true) - len(rows)
    predicted_mask = probabilities > 0.5
    true_mask = true_masks.astype(bool)
    union = (predicted_mask | true_mask).sum()
    scenes = len(probabilities)
    scores = {
        "accuracy": float((truth_present == predicted_present).mean()) if scenes else float("nan"),
        "f1": 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 1.0,
        "iou": float((predicted_mask & true_mask).sum() / union) if union else 1.0,
        "center_error_cells": float(np.median(errors_cells)) if errors_cells else float("nan"),
        "center_error_km": float(np.median(errors_km)) if errors_km else float("nan"),
        "center_error_cells_mean": float(np.mean(errors_cells)) if errors_cells else float("nan"),
        "storms_true": int(sum(len(c) for c in true_centres)),
        "storms_matched": matched,
        "storms_missed": misses,
        "storms_false_alarms": false_alarms,
        "scenes": scenes,
        "scenes_with_storms": int(truth_present.sum()),
    }
    latlon = [np.stack(_to_latlon(p, lat, lon), axis=1) if len(p) else np.zeros((0, 2)) for p in predicted]
    return scores, latlon
