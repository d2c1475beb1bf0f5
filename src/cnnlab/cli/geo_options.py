"""The `cnnlab train` flags of the gridded tasks (forecast, detect, segment, classify-grid), mapped onto TrainConfig."""

from __future__ import annotations

import argparse

from cnnlab.errors import CnnlabError
from cnnlab.geo.options import LATITUDE_WEIGHTS, NAN_POLICIES, PADDING_CHOICES, CycloneOptions, ForecastOptions
from cnnlab.train.config import TASKS, TrainConfig

__all__ = ["add_geo_arguments", "geo_fields_from_args", "GEO_EXAMPLES"]

GEO_EXAMPLES = """\
  cnnlab train --data air_temperature --task forecast --lead 6h,12h,18h,24h --history 5 --model unet \\
      --option width=16 --option depth=3 --epochs 20 --batch-size 32 --optimizer adamw --weight-decay 0.05
      lead 6h: rmse 1.2732 (persistence 2.3301, climatology 3.626; 45.4% better than persistence)
      ...
      lead 24h: rmse 2.1813 (persistence 2.8482, climatology 3.6262; 23.4% better than persistence)
  cnnlab train --data netcdf:era.nc --task forecast --variable z --level 500 --box 20,70,230,300 --lead 24h
  cnnlab train --data zarr:store.zarr --task forecast --stream --train-period 2010-01-01..2015-12-31 \\
      --val-period 2016-01-01..2016-12-31 --test-period 2017-01-01..2017-12-31
  cnnlab train --data synthetic-cyclones --task segment --model unet --option width=16 \\
      --epochs 8 --batch-size 32 --lr 3e-3
  cnnlab train --data air_temperature --task forecast --lead 6h --rollout 120h --train-rollout 2
  cnnlab train --data netcdf:eraint.nc --task forecast --variable u,v,z --level 200,500,850 --target z500
  cnnlab train --data air_temperature --task classify --labels regimes:4 --lead 24h
"""


def add_geo_arguments(parser) -> None:
    g = parser.add_argument_group("gridded tasks (cnnlab.geo)")
    config, forecast, cyclones = TrainConfig(), ForecastOptions(), CycloneOptions()
    g.add_argument(
        "--task",
        choices=TASKS,
        help=(
            "classify (images, default; gridded data with --labels: classify-grid), "
            "forecast (gridded time series), detect/segment (synthetic-cyclones)"
        ),
    )
    g.add_argument(
        "--lead",
        help="forecast lead time(s), a multiple of the data's time step, e.g. 6h or 6h,24h (default {config.lead})",
    )
    g.add_argument(
        "--history",
        type=int,
        help=f"past fields given to the forecast, the last at the initial time (default {config.history})",
    )
    g.add_argument(
        "--variable",
        action="append",
        metavar="NAME[,NAME]",
        help="variables to use, e.g. u,v,z (repeatable; default all lat/lon variables)",
    )
    g.add_argument(
        "--level",
        action="append",
        metavar="HPA[,HPA]",
        help="pressure levels to use, e.g. 200,500,850 (repeatable; default all)",
    )
    g.add_argument(
        "--target",
        metavar="CHANNELS",
        help=(
            "forecast only these channels, e.g. z500 or z (all its levels); every channel stays an input (default all)"
        ),
    )
    g.add_argument(
        "--rollout",
        metavar="LENGTH",
        help="at the test, apply the forecast to its own output up to LENGTH, e.g. 72h or 5d: "
        "scores and forecast.nc at every multiple of the lead",
    )
    g.add_argument(
        "--train-rollout",
        type=int,
        metavar="N",
        help=f"train on the loss of N autoregressive applications (default {forecast.train_rollout})",
    )
    g.add_argument(
        "--baselines",
        action="store_true",
        default=None,
        help="write persistence and climatology into forecast.nc beside the model",
    )
    g.add_argument(
        "--labels",
        metavar="CSV|regimes:K",
        help="--task classify on gridded data: a class per time from a time,label CSV, "
        "or K weather regimes of the training period (EOFs + k-means)",
    )
    g.add_argument("--box", metavar="LAT0,LAT1,LON0,LON1", help="lat/lon box in degrees, e.g. 20,60,230,300")
    g.add_argument("--time", metavar="FIRST..LAST", help="time range to read at all, e.g. 2013-01-01..2014-06-30")
    defaults = {
        "train": "air_temperature 2013-01..10, other data the first 70%% of times",
        "val": "air_temperature 2013-11..12, other data the next 10%%",
        "test": "air_temperature 2014, other data the last 20%%",
    }
    for split, default in defaults.items():
        g.add_argument(
            f"--{split}-period", metavar="FIRST..LAST", help=f"{split} dates, inclusive (default: {default})"
        )
    g.add_argument(
        "--nans",
        choices=NAN_POLICIES,
        help=(
            "missing values: refuse them (error) or leave them out of loss and metrics (mask) "
            f"(default {forecast.nans})"
        ),
    )
    g.add_argument(
        "--padding",
        choices=PADDING_CHOICES,
        help="grid padding of the model: auto = circular longitude on global grids, replicate on regional ones "
        f"(default {forecast.padding})",
    )
    g.add_argument(
        "--coords",
        action="store_true",
        default=None,
        help="give the forecast latitude/longitude as two static input channels",
    )
    g.add_argument(
        "--stream",
        action=argparse.BooleanOptionalAction,
        help="read batches from disk instead of loading the selection (default: above 2 GiB)",
    )
    g.add_argument(
        "--weights",
        choices=LATITUDE_WEIGHTS,
        help=f"latitude weights of loss and metrics, normalised to mean 1 (default {forecast.weights})",
    )
    g.add_argument(
        "--scenes",
        type=int,
        help=f"synthetic-cyclones training scenes (default {cyclones.scenes}; "
        f"validation {cyclones.val_scenes}, test {cyclones.test_scenes})",
    )
    g.add_argument("--noise", type=float, help=f"synthetic-cyclones noise scale (default {cyclones.noise})")


def _floats(text: str, flag: str, count: int) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count:
        raise CnnlabError(f"{flag} {text!r} needs {count} comma-separated numbers, e.g. 20,60,230,300")
    return values


def _level(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise CnnlabError(f"--level {text!r} is not a pressure level in hPa, e.g. 500 or 200,500,850") from None


def geo_fields_from_args(args) -> dict:
    """TrainConfig fields given by the gridded flags (only those given)."""
    fields: dict = {}
    for name in ("task", "lead", "history"):
        if getattr(args, name, None) is not None:
            fields[name] = getattr(args, name)
    geo: dict = {}
    if args.variable:
        geo["variables"] = [v.strip() for item in args.variable for v in item.split(",") if v.strip()]
    if args.level:
        geo["levels"] = [_level(v) for item in args.level for v in item.split(",") if v.strip()]
    if args.box:
        lat0, lat1, lon0, lon1 = _floats(args.box, "--box", 4)
        if lat0 >= lat1 or lon0 >= lon1:
            raise CnnlabError(f"--box {args.box!r}: give LAT0 < LAT1 and LON0 < LON1")
        geo["box"] = [lat0, lat1, lon0, lon1]
    if args.time:
        first, sep, last = args.time.partition("..")
        if not sep:
            raise CnnlabError(f"--time {args.time!r} is not FIRST..LAST, e.g. 2013-01-01..2014-06-30")
        geo["time"] = [first, last]
    for split in ("train", "val", "test"):
        value = getattr(args, f"{split}_period")
        if value:
            geo[f"{split}_period"] = value
    for name in (
        "nans",
        "padding",
        "weights",
        "scenes",
        "noise",
        "coords",
        "stream",
        "target",
        "rollout",
        "train_rollout",
        "baselines",
        "labels",
    ):
        if getattr(args, name) is not None:
            geo[name] = getattr(args, name)
    if geo:
        fields["geo"] = geo
    if fields.get("task", "classify") == "classify" and geo.get("labels"):
        fields["task"] = "classify-grid"  # labels per time of gridded fields: the gridded classifier
        fields.setdefault("lead", "0h")  # the class of the initial time itself unless --lead says how far ahead
        if args.model is None:
            fields["model"] = "conv-stack"  # a field -> one score per class
    if fields.get("task", "classify") not in ("classify", "classify-grid") and args.model is None:
        fields["model"] = "unet"  # the gridded tasks are field-to-field
    return fields
