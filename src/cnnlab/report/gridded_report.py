"""report.html of a gridded run (--task forecast, detect, segment): the maps and scores the task wrote (input,
prediction, truth and error per lead on lat/lon axes; RMSE by lead against persistence and climatology; cyclone
masks), the learning curves, the test scores, and the first-layer filters of the trained model."""

from __future__ import annotations

import json
from pathlib import Path

from cnnlab.errors import CnnlabError
from cnnlab.report.filters import filters
from cnnlab.report.html_page import Section, escape, img, note, table
from cnnlab.report.layers import conv_layers

__all__ = ["gridded_sections", "TASK_PICTURES"]

# the pictures each gridded task writes into its run folder, with their section titles
TASK_PICTURES = {
    "forecast": [
        ("maps", "Maps: input, prediction, truth, error per lead", "forecast_maps.png"),
        ("rmse-by-lead", "RMSE by lead: model, persistence, climatology", "rmse_by_lead.png"),
    ],
    "detect": [("maps", "Cyclone scenes: fields, masks and centres", "cyclones.png")],
    "segment": [("maps", "Cyclone scenes: fields, masks and centres", "cyclones.png")],
}


def gridded_sections(run_dir: Path, config, results: dict, timings: dict) -> list[Section]:
    sections = [Section("summary", "Summary", _summary(config, results))]
    sections.append(Section("curves", "Learning curves", _picture(run_dir / "curves.png", "learning curves")))
    for key, title, name in TASK_PICTURES.get(config.task, []):
        sections.append(Section(key, title, _picture(run_dir / name, title)))
    sections.append(Section("scores", "Test scores", _scores(config, results)))
    sections.append(Section("filters", "First-layer filters", _filters(run_dir, config, results)))
    return sections


def _summary(config, results: dict) -> str:
    rows = [("model", config.model), ("task", config.task), ("data", config.data)]
    rows += [
        (k.replace("_", " "), results[k])
        for k in ("params", "epochs", "best_epoch", "wall_time_s", "device")
        if k in results
    ]
    return table(rows)


def _picture(path: Path, alt: str) -> str:
    if not path.is_file():
        return note(f"{path.name} is missing: the run wrote no such picture (was matplotlib installed when it ran?)")
    return img(path.read_bytes(), alt, plot=True)


def _scores(config, results: dict) -> str:
    test = results.get("test")
    if not test:
        return note("this run has no results.json test scores: it stopped before its test evaluation")
    if config.task == "forecast":
        rows = []
        for lead, metrics in test.items():
            for metric, by_model in metrics.items():
                rows.append(
                    (
                        lead.removeprefix("lead_"),
                        metric,
                        *(_number(by_model.get(k)) for k in ("model", "persistence", "climatology")),
                    )
                )
        text = table(rows, ("lead", "metric", "model", "persistence", "climatology"), numeric={2, 3, 4})
    else:
        text = table([(k, _number(v)) for k, v in test.items()], ("score", "value"), numeric={1})
    meanings = results.get("metrics")
    if meanings:
        text += "<pre>" + escape(json.dumps(meanings, indent=2)) + "</pre>"
    return text


def _number(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("-" if value is None else str(value))


def _filters(run_dir: Path, config, results: dict) -> str:
    try:
        model = _load_model(run_dir, config, results)
    except CnnlabError as error:
        return note(f"the trained model could not be loaded to show its filters: {error}")
    if not conv_layers(model):
        return note(f"{config.model} has no convolution layers")
    bank = filters(model)
    out, cin, kh, kw = bank.weights.shape
    return (
        f"<p>Layer <code>{escape(bank.layer)}</code>: {out} filters of {kh}x{kw} over {cin} input channels "
        "(one row per filter, one column per channel, up to 8); red positive, blue negative, white zero.</p>"
        + img(bank.png(), "first-layer filters")
    )


def _load_model(run_dir: Path, config, results: dict):
    if config.task == "forecast":
        from cnnlab.geo.forecast import load_forecast_run

        model, _ = load_forecast_run(run_dir)
        return model
    from cnnlab.models import create_model
    from cnnlab.train.checkpoint import load_weights

    grid = results.get("scenes", {}).get("grid")
    if not grid:
        raise CnnlabError("results.json does not give the grid size")
    model = create_model(config.model, (3, grid, grid), 1, **config.model_options)  # as the cyclone task builds it
    load_weights(model, run_dir / "best.safetensors", config.model)
    return model.eval()
