"""report.html of an image-classification run (torch engine, or numpy engine through its torch twin): the
sections, each built from the library functions of cnnlab.report on the run's best weights and test split."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np
import torch

from cnnlab.data import Normalise, dataset_spec, load_dataset
from cnnlab.report.attribution import grad_cam, saliency
from cnnlab.report.embedding import embedding
from cnnlab.report.feature_maps import feature_maps
from cnnlab.report.filters import filters
from cnnlab.report.html_page import Section, escape, img, note, table
from cnnlab.report.images import colorize, figure_png, png_bytes
from cnnlab.report.inputs import predict_probabilities
from cnnlab.report.layers import NO_CONV_REASON, classifier_layer, conv_layers
from cnnlab.report.mistakes import confusion_from_predictions, misclassified, per_class_accuracy
from cnnlab.report.plots import confusion_figure, curves_figure

__all__ = ["image_sections", "read_history", "EXAMPLE_IMAGES", "MISTAKES_SHOWN", "DEFAULT_SAMPLES"]

EXAMPLE_IMAGES = 4  # test images shown through every layer and with saliency / Grad-CAM
MISTAKES_SHOWN = 16
DEFAULT_SAMPLES = 250  # test images in the t-SNE maps: keeps the whole report of the demo run near 7 s of CPU
MAX_TEST_IMAGES = 10_000  # predictions for the confusion matrix and mistakes; more would only cost time


def read_history(run_dir: Path) -> list[dict]:
    """metrics.csv as a list of rows of numbers ([] when the run has none)."""
    path = Path(run_dir) / "metrics.csv"
    if not path.is_file():
        return []
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows.append({k: (float(v) if v not in ("", None) else float("nan")) for k, v in row.items()})
    return rows


def image_sections(
    run_dir: Path, model: torch.nn.Module, config, results: dict, samples: int, data_dir, timings: dict
) -> list[Section]:
    spec = dataset_spec(config.data)
    classes = list(spec.classes)
    clock = _Clock(timings)
    test = load_dataset(config.data, "test", data_dir or config.data_dir)
    test = test.take(min(len(test), MAX_TEST_IMAGES))
    normalise = Normalise(spec.mean, spec.std)
    images_uint8, labels = test.images, test.labels.numpy()
    probabilities = np.concatenate(
        [predict_probabilities(model, normalise(images_uint8[i : i + 1000])) for i in range(0, len(labels), 1000)]
    )
    predicted = probabilities.argmax(1)
    confusion = confusion_from_predictions(predicted, labels, len(classes))
    clock.lap("predictions")
    name = f"{config.model} on {config.data}"
    accuracy_now = float((predicted == labels).mean())
    has_conv = bool(conv_layers(model))
    why_not = f"{config.model} {NO_CONV_REASON}."

    sections = [
        Section("summary", "Summary", _summary(config, results, spec, len(labels), accuracy_now)),
        Section("curves", "Learning curves", _curves(run_dir, name)),
        Section(
            "confusion",
            "Confusion matrix",
            img(figure_png(confusion_figure(confusion, classes, name)), "confusion matrix", plot=True),
        ),
        Section("per-class", "Per-class accuracy", _per_class(confusion, classes)),
        Section("misclassified", "Most confident mistakes", _mistakes(probabilities, labels, images_uint8, classes)),
    ]
    clock.lap("curves, confusion, mistakes")
    examples = _example_indices(labels, EXAMPLE_IMAGES)
    if has_conv:
        sections.append(Section("filters", "First-layer filters", _filters(model)))
        sections.append(
            Section(
                "feature-maps", "Feature maps", _feature_maps(model, images_uint8, labels, examples, normalise, classes)
            )
        )
    else:
        sections.append(Section("filters", "First-layer filters", note(why_not)))
        sections.append(Section("feature-maps", "Feature maps", note(why_not)))
    clock.lap("filters, feature maps")
    sections.append(
        Section(
            "embedding",
            "t-SNE: features vs pixels",
            _embedding(model, images_uint8, labels, normalise, classes, samples, config.model),
        )
    )
    clock.lap("t-SNE")
    sections.append(
        Section(
            "saliency",
            "Saliency and Grad-CAM",
            _attribution(model, images_uint8, labels, predicted, examples, normalise, classes, has_conv, why_not),
        )
    )
    clock.lap("saliency, Grad-CAM")
    sections.append(Section("model", "Model summary", _model_table(model, spec.in_shape, config.model)))
    return sections


class _Clock:
    def __init__(self, timings: dict):
        self.timings, self.last = timings, time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        self.timings[what] = now - self.last
        self.last = now


def _summary(config, results: dict, spec, test_images: int, accuracy_now: float) -> str:
    test = results.get("test", {})
    rows = [
        ("model", config.model + (f" (options {config.model_options})" if config.model_options else "")),
        ("engine", config.engine + (" (shown through its torch twin)" if config.engine == "numpy" else "")),
        ("data", f"{config.data}: {'x'.join(map(str, spec.in_shape))} images, {len(spec.classes)} classes"),
        ("parameters", f"{results['params']:,}" if "params" in results else "?"),
        (
            "epochs",
            f"{results.get('epochs', '?')} (best {results.get('best_epoch', '?')})"
            + (", stopped early" if results.get("stopped_early") else ""),
        ),
        ("test accuracy", f"{100 * test['accuracy']:.2f}%" if "accuracy" in test else "not recorded"),
        ("test loss", f"{test['loss']:.4f}" if "loss" in test else "not recorded"),
        ("wall time", f"{results['wall_time_s']:.1f} s" if "wall_time_s" in results else "?"),
        ("training speed", f"{results['images_per_s']:,} img/s" if "images_per_s" in results else "?"),
        ("device / precision", f"{results.get('device', '?')} / {results.get('precision', '?')}"),
    ]
    body = table(rows)
    without_tta = ", without test-time augmentation" if config.tta else ""
    body += (
        f'<p class="muted">The pictures below use the best weights on the first {test_images:,} test images '
        f"(accuracy {100 * accuracy_now:.2f}% here, fp32{without_tta}).</p>"
    )
    config_json = escape(json.dumps(config.to_dict(), indent=2, default=str))
    body += f"<details><summary>config.json</summary><pre>{config_json}</pre></details>"
    return body


def _curves(run_dir: Path, name: str) -> str:
    history = read_history(run_dir)
    if not history:
        return note("this run has no metrics.csv: no epoch finished")
    return img(figure_png(curves_figure(history, name)), "learning curves", plot=True)


def _per_class(confusion: np.ndarray, classes: list[str]) -> str:
    accuracy = per_class_accuracy(confusion)
    rows = []
    for k, name in enumerate(classes):
        value = accuracy[k]
        bar = f'<span class="bar" style="width:{0 if np.isnan(value) else 200 * value:.0f}px"></span>'
        shown = "-" if np.isnan(value) else f"{100 * value:.2f}%"
        rows.append((name, f"{int(confusion[k].sum()):,}", shown, ("html", bar)))
    worst = int(np.nanargmin(accuracy)) if np.isfinite(accuracy).any() else 0
    return (
        table(rows, ("class", "test images", "accuracy", ""), numeric={1, 2})
        + f'<p class="muted">Hardest class: {escape(classes[worst])}.</p>'
    )


def _picture(image_uint8: torch.Tensor) -> np.ndarray:
    """uint8 (C, H, W) -> RGB uint8 (H, W, 3) as a person sees it."""
    array = image_uint8.numpy()
    return np.repeat(array[0][..., None], 3, axis=2) if array.shape[0] == 1 else array[:3].transpose(1, 2, 0)


def _scale_for(height: int, size: int = 84) -> int:
    return max(1, size // height)


def _mistakes(probabilities, labels, images_uint8, classes) -> str:
    mistakes = misclassified(probabilities, labels, MISTAKES_SHOWN)
    if mistakes.total_wrong == 0:
        return "<p>No test image was misclassified.</p>"
    scale = _scale_for(images_uint8.shape[-2])
    figures = [
        f"<figure>{img(png_bytes(_picture(images_uint8[i]), scale), f'test image {i}')}"
        f"<figcaption>#{i}: true {escape(classes[t])}<br>"
        f"predicted {escape(classes[p])} ({100 * c:.0f}%)</figcaption></figure>"
        for i, t, p, c in zip(mistakes.indices, mistakes.true, mistakes.predicted, mistakes.confidence)
    ]
    return (
        f"<p>{mistakes.total_wrong:,} of {len(labels):,} test images are misclassified; the {len(figures)} the "
        f'model was surest about:</p><div class="grid">{"".join(figures)}</div>'
    )


def _filters(model) -> str:
    bank = filters(model)
    out, cin, kh, kw = bank.weights.shape
    if bank.rgb:
        shown = "in colour (RGB)"
    else:
        shown = "one per cell" if cin == 1 else "one row per filter, one column per input channel"
    return (
        f"<p>Layer <code>{escape(bank.layer)}</code>: {out} filters of {kh}x{kw} over {cin} "
        f"channel{'s' * (cin > 1)}, {shown}; red positive, blue negative, white zero (a symmetric scale).</p>"
        + img(bank.png(), "first-layer filters")
    )


def _example_indices(labels: np.ndarray, count: int) -> list[int]:
    """The first test image of each of the first `count` classes seen (different classes are more telling)."""
    chosen, seen = [], set()
    for i, label in enumerate(labels):
        if label not in seen:
            chosen.append(i)
            seen.add(label)
        if len(chosen) == count:
            break
    return chosen


def _feature_maps(model, images_uint8, labels, examples, normalise, classes) -> str:
    parts = [
        "<p>The outputs of every conv and pool layer for a few test images (up to 32 channels per layer; "
        "each layer on its own colour scale, yellow high, purple low).</p>"
    ]
    scale = _scale_for(images_uint8.shape[-2], 64)
    for i in examples[:3]:
        maps = feature_maps(model, normalise(images_uint8[i : i + 1])[0])
        cells = [
            f"<figure>{img(png_bytes(_picture(images_uint8[i]), scale), 'input')}"
            f"<figcaption>input ({escape(classes[labels[i]])})</figcaption></figure>"
        ]
        cells += [
            f"<figure>{img(m.png(size=160), m.layer)}<figcaption>{escape(m.layer)} {escape(m.kind)}<br>"
            f"{m.maps.shape[0]} x {m.maps.shape[1]}x{m.maps.shape[2]}</figcaption></figure>"
            for m in maps
        ]
        parts.append(f'<h3>test image #{i}</h3><div class="grid">{"".join(cells)}</div>')
    return "".join(parts)


def _embedding(model, images_uint8, labels, normalise, classes, samples, model_name) -> str:
    from cnnlab.report.extras import pyplot

    samples = min(samples, len(labels))
    if samples < 10:
        return note(f"--samples {samples} is too few for a map; give at least 10")
    chosen = np.sort(np.random.default_rng(0).choice(len(labels), samples, replace=False))
    x = normalise(images_uint8[chosen])
    y = labels[chosen]
    maps = [embedding(None, x, y, "tsne", space="pixels")]
    layer = classifier_layer(model)
    features_note = ""
    if layer is None:
        features_note = note(f"{model_name} has no linear layer, so it has no penultimate feature vector to map")
    elif conv_layers(model) or len(list(m for m in model.modules() if isinstance(m, torch.nn.Linear))) > 1:
        maps.insert(0, embedding(model, x, y, "tsne", space="features"))
    else:
        features_note = note(
            f"{model_name} has no hidden layer: the input of its only linear layer is the pixels themselves"
        )
    plt = pyplot()
    fig, axes = plt.subplots(1, len(maps), figsize=(5.2 * len(maps), 5), squeeze=False)
    for ax, m in zip(axes[0], maps):
        m.figure(classes, ax=ax)
    fig.tight_layout()
    text = (
        f"<p>{samples} test images mapped to 2-D with t-SNE (after PCA to 50 dimensions): on the left the "
        f"penultimate-layer features (the input of the last linear layer), on the right the raw pixels. "
        f"The 5-nearest-neighbour accuracy in each map says how well the classes separate.</p>"
    )
    return text + features_note + img(figure_png(fig), "t-SNE of features and pixels", plot=True)


def _overlay(picture: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """Half the image in grey, half the heat map in the jet colours."""
    grey = picture.mean(2, keepdims=True).repeat(3, 2) / 255.0
    coloured = colorize(heat, "jet", 0.0, 1.0) / 255.0
    return (255 * (0.5 * grey + 0.5 * coloured)).astype(np.uint8)


def _attribution(model, images_uint8, labels, predicted, examples, normalise, classes, has_conv, why_not) -> str:
    scale = _scale_for(images_uint8.shape[-2])
    rows = []
    for i in examples:
        x = normalise(images_uint8[i : i + 1])[0]
        target = int(predicted[i])
        picture = _picture(images_uint8[i])
        cells = [
            f"<figure>{img(png_bytes(picture, scale), 'input')}<figcaption>#{i} true {escape(classes[labels[i]])}"
            f"<br>predicted {escape(classes[target])}</figcaption></figure>",
            f"<figure>{img(png_bytes(colorize(saliency(model, x, target), 'hot'), scale), 'saliency')}"
            "<figcaption>saliency<br>|d score / d pixel|</figcaption></figure>",
        ]
        if has_conv:
            cam = grad_cam(model, x, target)
            cells.append(
                f"<figure>{img(png_bytes(_overlay(picture, cam), scale), 'Grad-CAM')}"
                "<figcaption>Grad-CAM<br>last conv layer</figcaption></figure>"
            )
        rows.append(f'<div class="grid">{"".join(cells)}</div>')
    text = (
        "<p>For the predicted class: the saliency map (how much the score changes with each pixel) and "
        "Grad-CAM (which regions of the last conv layer's maps raise the score).</p>"
    )
    return text + ("" if has_conv else note(why_not + " Grad-CAM needs a conv layer.")) + "".join(rows)


def _model_table(model, in_shape, model_name) -> str:
    from cnnlab.inspect import summary

    return f"<pre>{escape(summary(model, in_shape, model_name).table())}</pre>"
