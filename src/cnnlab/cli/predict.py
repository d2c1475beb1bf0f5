"""`cnnlab predict RUN_DIR FILE...|FOLDER`: classify image files, or every image in a folder into a CSV."""

from __future__ import annotations

from pathlib import Path

from cnnlab.cli.common import add_command, print_json
from cnnlab.errors import CnnlabError

EXAMPLES = """\
  cnnlab predict runs/demo digit.png
      digit.png: 7 (99.8%), 2 (0.1%), 3 (0.0%)
  cnnlab predict runs/demo a.png b.jpg c.npy --top 1 --json
  cnnlab predict runs/pets photos/                # every image in photos/ -> runs/pets/predictions.csv
      1,204 images classified -> runs/pets/predictions.csv (file,class,probability,class_2,probability_2,...)
  cnnlab predict runs/pets photos/ --out photos.csv --top 5
  cnnlab predict runs/air-forecast --data netcdf:air2015.nc --out forecast2015.nc --rollout 72h
      1,456 initial times x 12 leads (6h .. 72h) -> forecast2015.nc
"""

PREDICT_BATCH = 256


def register(subparsers) -> None:
    p = add_command(
        subparsers, "predict", "Classify PNG/JPEG/BMP/NPY images, or a whole folder into a CSV.", EXAMPLES, run
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by `cnnlab train`")
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="images (PNG, JPEG, BMP or .npy, converted to the model's channels and size), or one folder",
    )
    p.add_argument("--top", type=int, default=3, help="how many classes to show (default 3)")
    p.add_argument("--out", metavar="CSV", help="for a folder: where the CSV goes (default RUN_DIR/predictions.csv)")
    p.add_argument("--checkpoint", choices=("best", "last"), default="best")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    g = p.add_argument_group("forecast runs (--task forecast): new gridded data -> a forecast NetCDF file")
    g.add_argument(
        "--data",
        metavar="netcdf:FILE",
        help="gridded data to forecast from (netcdf:, zarr:, grib:), with the run's variables",
    )
    g.add_argument(
        "--init",
        action="append",
        metavar="TIME",
        help="initial time (repeatable; default every time with a full history)",
    )
    g.add_argument("--rollout", metavar="LENGTH", help="apply the forecast to its own output up to LENGTH, e.g. 72h")


def _folder_images(folder: Path) -> list[Path]:
    from cnnlab.data.images import IMAGE_SUFFIXES

    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    if not files:
        raise CnnlabError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


def predict_files(model, spec, files: list[Path], device, top: int):
    """(file, [(class, probability)] * top) for every file, in batches of PREDICT_BATCH."""
    import torch

    from cnnlab.data import Normalise
    from cnnlab.data.images import load_image

    normalise = Normalise(spec.mean, spec.std)
    results = []
    for start in range(0, len(files), PREDICT_BATCH):
        chunk = files[start : start + PREDICT_BATCH]
        images = torch.stack([load_image(f, spec.in_shape) for f in chunk]).to(device)
        with torch.no_grad():
            probs = torch.softmax(model(normalise(images)).float(), dim=1).cpu()
        for path, p in zip(chunk, probs):
            values, indices = p.topk(top)
            results.append((path, [(spec.classes[i], float(v)) for v, i in zip(values, indices)]))
    return results


def _write_csv(path: Path, folder: Path, results, top: int) -> None:
    import csv
    import io

    from cnnlab.files import write_text_atomic

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["file", "class", "probability"] + [f"{k}_{i}" for i in range(2, top + 1) for k in ("class", "probability")]
    )
    for file, ranked in results:
        writer.writerow([file.relative_to(folder).as_posix()] + [x for name, p in ranked for x in (name, f"{p:.6f}")])
    write_text_atomic(path, buffer.getvalue())


def run(args) -> int:
    from cnnlab.data import dataset_spec
    from cnnlab.train.classify import load_run_model
    from cnnlab.train.device import resolve_device
    from cnnlab.train.runs import trained_data

    if args.data:
        return _forecast(args)
    if not args.files:
        raise CnnlabError("give image files or a folder to classify, or --data netcdf:FILE for a forecast run")
    if args.top < 1:
        raise CnnlabError(f"--top {args.top}: give how many classes to show, at least 1")
    device = resolve_device(args.device)
    with trained_data(args.run_dir):  # own data: its classes and statistics as trained, even once it is gone
        model, config = load_run_model(args.run_dir, args.checkpoint, device)
        spec = dataset_spec(config.data)
    top = max(1, min(args.top, len(spec.classes)))
    folder = Path(args.files[0]) if len(args.files) == 1 and Path(args.files[0]).is_dir() else None
    files = _folder_images(folder) if folder else [Path(f) for f in args.files]
    results = predict_files(model, spec, files, device, top)
    if folder:
        out = Path(args.out) if args.out else Path(args.run_dir) / "predictions.csv"
        _write_csv(out, folder, results, top)
        if args.json:
            print_json({"model": config.model, "data": config.data, "images": len(results), "csv": str(out)})
        else:
            print(f"{len(results):,} images classified -> {out}")
        return 0
    predictions = [
        {"file": str(path), "top": [{"class": c, "probability": round(p, 6)} for c, p in ranked]}
        for path, ranked in results
    ]
    if args.json:
        print_json({"model": config.model, "data": config.data, "predictions": predictions})
    else:
        for r in predictions:
            print(f"{r['file']}: " + ", ".join(f"{t['class']} ({100 * t['probability']:.1f}%)" for t in r["top"]))
    return 0


def _forecast(args) -> int:
    from cnnlab.geo.forecast import load_forecast_run, selection_from
    from cnnlab.geo.forecast_predict import predict_forecast_file
    from cnnlab.geo.options import options_for
    from cnnlab.train.device import resolve_device
    from cnnlab.train.runs import open_run

    if args.files:
        raise CnnlabError("--data forecasts a gridded file; drop the image files")
    if not args.out:
        raise CnnlabError("--data needs --out FILE.nc, where the forecasts go")
    device = resolve_device(args.device)
    config, _ = open_run(Path(args.run_dir), args.checkpoint, writer="cnnlab train --task forecast")
    model, stats = load_forecast_run(Path(args.run_dir), args.checkpoint, device)
    path, count, leads = predict_forecast_file(
        model,
        stats,
        config.to_dict(),
        args.data,
        args.out,
        args.init,
        args.rollout,
        selection_from(options_for("forecast", config.geo)),
        config.data_dir,
        device,
    )
    if args.json:
        print_json(
            {"model": config.model, "data": args.data, "initial_times": count, "leads": leads, "file": str(path)}
        )
    else:
        span = leads[0] if len(leads) == 1 else f"{leads[0]} .. {leads[-1]}"
        print(f"{count:,} initial times x {len(leads)} leads ({span}) -> {path}")
    return 0
