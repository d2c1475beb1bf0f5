"""TrainConfig: every setting of a training run in one typed dataclass, saved as config.json.

The CLI maps its flags onto these fields; the resolved config travels with the run folder and every
checkpoint, so `cnnlab eval` and `--resume` rebuild exactly the same run.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from cnnlab.errors import CnnlabError

__all__ = ["TrainConfig", "resume_config", "OPTIMIZERS", "SCHEDULES", "PRECISIONS", "ENGINES", "TASKS", "RESUMABLE"]

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "onecycle", "warmup")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")  # auto: bf16 where the hardware has it natively, else fp32
ENGINES = ("torch", "numpy")  # numpy: the from-scratch networks of cnnlab.scratch
TASKS = ("classify", "forecast", "detect", "segment", "classify-grid")
RESUMABLE = ("epochs", "device", "data_dir")  # the settings a resumed run may change
DEFAULT_LR = 2e-3  # Adam with a one-cycle schedule, good for every CNN of the zoo


@dataclass
class TrainConfig:
    model: str = "lenet5"
    data: str = "mnist"
    epochs: int = 6
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float | None = None  # peak learning rate of the schedule; None = the model's suggestion, else DEFAULT_LR
    momentum: float = 0.9  # for momentum/nesterov/rmsprop
    schedule: str = "onecycle"
    warmup_epochs: float = 0.0  # linear warm-up before the schedule (onecycle has its own: 25% of steps)
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    translate: int = 0  # random shift of up to this many pixels, per image, each epoch
    hflip: bool | None = None  # random horizontal flips; None = where the dataset allows (not digits)
    val_size: int = 5000  # training images held out for validation (fixed, seeded); 0 = none
    train_size: int = 0  # use only the first N training images (0 = all): quick experiments
    test_size: int = 0  # test on only the first N test images (0 = all): quick experiments
    early_stop: int = 0  # stop after this many epochs without a better validation accuracy (0 = off)
    precision: str = "auto"  # resolved by validate(): bf16 on a GPU or a CPU with native bf16, else fp32
    device: str = "auto"
    channels_last: bool | None = None  # resolved by validate(): on for the torch image trainer, off elsewhere
    seed: int = 0
    out: str = ""  # run folder; "" = runs/<data>-<model>-<time>
    data_dir: str | None = None
    model_options: dict = field(default_factory=dict)
    engine: str = "torch"  # "numpy" trains the cnnlab.scratch twin of the model (cnnlab.train.numpy_engine)
    # Gridded tasks (cnnlab.geo): "classify" is the image path above.
    task: str = "classify"  # classify | forecast | detect | segment
    lead: str = "6h"  # forecast lead time(s), comma-separated: "6h" or "6h,24h"
    history: int = 3  # past fields given to a forecast (the last one is the initial time)
    geo: dict = field(default_factory=dict)  # selection, periods, nans, padding, weights (see cnnlab.geo)
    # speed and scale-out; see cnnlab.train.recipes for presets that combine them
    recipe: str = ""  # the recipe these settings came from ("" = none); informational
    compile: bool = False  # torch.compile the model (a win for long runs; compiling costs tens of seconds)
    test_every_epoch: bool = False  # evaluate the test set after every epoch (time-to-accuracy recipes)
    alternating_flip: bool = False  # flip each image in every other epoch instead of at random (airbench)
    lookahead: float = 0.0  # every `lookahead_every` steps: slow <- d*slow + (1-d)*fast, fast <- slow (0 = off)
    lookahead_every: int = 5
    ema: float = 0.0  # evaluate and save an exponential moving average of the weights, this decay per step (0 = off)
    tta: int = 0  # test-time augmentation: 0 none, 1 mirror, 2 mirror and 1-pixel translations
    distributed: bool = False  # DistributedDataParallel over the processes torchrun started
    sync_bn: bool = False  # with distributed: batch-norm statistics over the global batch
    tensorboard: bool = False  # also log scalars, first-layer filters and hyperparameters to RUN_DIR/tb/

    def validate(self) -> "TrainConfig":
        """Raise CnnlabError naming the first invalid setting and what would be valid; fill in a missing lr."""
        if self.lr is None:
            from cnnlab.models import model_info

            self.lr = model_info(self.model).lr or DEFAULT_LR
        self._resolve_fast_path()
        checks = [
            (self.epochs >= 1, f"--epochs must be at least 1, got {self.epochs}"),
            (self.batch_size >= 1, f"--batch-size must be at least 1, got {self.batch_size}"),
            (self.lr > 0, f"--lr must be > 0, got {self.lr}"),
            (self.weight_decay >= 0, f"--weight-decay must be >= 0, got {self.weight_decay}"),
            (0 <= self.label_smoothing < 1, f"--label-smoothing must be in [0, 1), got {self.label_smoothing}"),
            (0 <= self.momentum < 1, f"--momentum must be in [0, 1), got {self.momentum}"),
            (
                self.optimizer in OPTIMIZERS,
                f"unknown optimizer {self.optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}",
            ),
            (self.schedule in SCHEDULES, f"unknown schedule {self.schedule!r}; choose one of: {', '.join(SCHEDULES)}"),
            (
                self.precision in PRECISIONS,
                f"unknown precision {self.precision!r}; choose one of: {', '.join(PRECISIONS)}",
            ),
            (self.translate >= 0, f"--translate must be >= 0 pixels, got {self.translate}"),
            (
                min(self.val_size, self.train_size, self.test_size) >= 0,
                "--val-size, --train-size and --test-size must be >= 0",
            ),
            (self.engine in ENGINES, f"unknown engine {self.engine!r}; choose one of: {', '.join(ENGINES)}"),
            (self.warmup_epochs >= 0 and self.early_stop >= 0, "--warmup-epochs and --early-stop must be >= 0"),
            (self.task in TASKS, f"unknown task {self.task!r}; choose one of: {', '.join(TASKS)}"),
            (self.history >= 1, f"--history must be at least 1 past field, got {self.history}"),
            (
                self.engine == "torch" or self.task == "classify",
                f"--engine {self.engine} trains image classifiers only; use --engine torch for --task {self.task}",
            ),
            (0 <= self.lookahead < 1, f"--lookahead must be a decay in [0, 1), got {self.lookahead}"),
            (0 <= self.ema < 1, f"--ema must be a decay in [0, 1), got {self.ema}"),
            (self.lookahead_every >= 1, f"--lookahead-every must be at least 1 step, got {self.lookahead_every}"),
            (
                self.tta in (0, 1, 2),
                f"--tta must be 0 (none), 1 (mirror) or 2 (mirror and translations), got {self.tta}",
            ),
        ]
        # Every task of the torch engine has the loop's switches; these three are about images only.
        image_switches = {
            "--tta": self.tta,
            "--alternating-flip": self.alternating_flip,
            "--test-every-epoch": self.test_every_epoch,
        }
        torch_switches = {
            "--compile": self.compile,
            "--distributed": self.distributed,
            "--lookahead": self.lookahead,
            "--ema": self.ema,
            "--tensorboard": self.tensorboard,
        }
        if self.engine != "torch":
            used = [flag for flag, on in {**torch_switches, **image_switches}.items() if on]
            checks.append(
                (
                    not used,
                    f"{used[0] if used else ''} is a switch of the torch engine, not of --engine {self.engine}; "
                    "drop it",
                )
            )
        elif self.task != "classify":
            used = [flag for flag, on in image_switches.items() if on]
            checks.append(
                (
                    not used,
                    f"{used[0] if used else ''} is a switch of image classification, not of --task {self.task}; "
                    "drop it",
                )
            )
        if self.engine == "numpy":
            checks += [
                (
                    self.precision == "fp32",
                    f"--precision {self.precision}: the numpy engine computes in float32 only; use --precision fp32",
                ),
                (
                    self.device in ("auto", "cpu"),
                    f"--device {self.device}: the numpy engine runs on the CPU; use --device cpu",
                ),
                (not self.channels_last, "--channels-last has no meaning for the numpy engine; leave it off"),
            ]
        elif self.task != "classify":
            checks.append(
                (self.precision == "fp32", f"--task {self.task} trains in fp32 only; drop --precision {self.precision}")
            )
        for ok, message in checks:
            if not ok:
                raise CnnlabError(message)
        for problem in (*_bound_problems(self), *_combination_problems(self)):
            raise CnnlabError(problem)
        return self

    def _resolve_fast_path(self) -> None:
        """The CPU/GPU fast path is the default where it was measured to help: the torch image trainer gets
        bf16 autocast where the hardware does bf16 natively and channels_last (1.2-1.9x the images/s of
        fp32 NCHW on every model of the speed benchmark); the numpy engine and the gridded tasks stay fp32."""
        torch_images = self.engine == "torch" and self.task == "classify"
        if self.channels_last is None:
            self.channels_last = torch_images
        if self.precision == "auto":
            if not torch_images:
                self.precision = "fp32"
            else:
                from cnnlab.train.device import fast_precision, resolve_device

                try:
                    device_type = resolve_device(self.device).type
                except CnnlabError:  # an unavailable device is reported by the trainer, with its own message
                    device_type = "cpu"
                self.precision = fast_precision(device_type)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise CnnlabError(f"config has unknown settings: {', '.join(sorted(unknown))}")
        for problem in _saved_value_problems(values):
            raise CnnlabError(f"config {problem}")
        return cls(**values)

    def save(self, path: Path) -> None:
        """config.json; beside it, for own data, the data's shape, classes and mean/std
        (train.runs.write_data_facts).
        """
        from cnnlab.files import write_text_atomic
        from cnnlab.train.runs import write_data_facts

        write_text_atomic(path, json.dumps(self.to_dict(), indent=2) + "\n")
        if self.task == "classify":
            write_data_facts(Path(path).parent, self.data)

    @classmethod
    def load(cls, path: Path) -> "TrainConfig":
        try:
            values = json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise CnnlabError(f"cannot read the run's config {path}: {error}") from None
        if not isinstance(values, dict):
            raise CnnlabError(f"the run's config {path} is not a JSON object of settings; was it written by cnnlab?")
        try:
            return cls.from_dict(values)
        except CnnlabError as error:
            raise CnnlabError(f"the run's config {path} is damaged: {error}; restore it or train a new run") from None


MAX_EPOCHS = 100_000
MAX_SEED = 2**63 - 1  # torch.manual_seed takes a signed 64-bit integer


def _bound_problems(config: TrainConfig) -> list[str]:
    """Numbers outside what the trainer can use: non-finite floats, seeds torch refuses, absurd epoch counts."""
    problems = [
        f"--{name.replace('_', '-')} must be a finite number, got {getattr(config, name)}"
        for name in ("lr", "momentum", "weight_decay", "label_smoothing", "warmup_epochs", "lookahead", "ema")
        if not math.isfinite(getattr(config, name))
    ]
    if not 1 <= config.epochs <= MAX_EPOCHS:
        problems.append(f"--epochs must be from 1 to {MAX_EPOCHS:,}, got {config.epochs}")
    if not 0 <= config.seed <= MAX_SEED:
        problems.append(f"--seed must be from 0 to 2^63-1 ({MAX_SEED}), got {config.seed}")
    return problems


def _combination_problems(config: TrainConfig) -> list[str]:
    """Settings that are valid alone but not together (each would otherwise be ignored or fail mid-run)."""
    problems = []
    if config.sync_bn and not config.distributed:
        problems.append(
            "--sync-bn synchronises batch norm across the processes of --distributed; add --distributed "
            "(under torchrun) or drop --sync-bn"
        )
    if config.warmup_epochs > config.epochs:
        problems.append(
            f"--warmup-epochs {config.warmup_epochs:g} is longer than the run (--epochs {config.epochs}); "
            f"use at most {config.epochs}"
        )
    if config.early_stop and not config.val_size:
        problems.append(
            "--early-stop watches the validation score, and --val-size 0 leaves no validation set; "
            "give --val-size N or drop --early-stop"
        )
    if config.task == "classify" and config.translate:
        try:
            from cnnlab.data import dataset_spec

            height, width = dataset_spec(config.data).in_shape[1:]
        except CnnlabError:  # a data name the loader does not know: it says so itself, with the choices
            return problems
        if config.translate >= min(height, width):
            problems.append(
                f"--translate {config.translate} shifts images by their whole size ({height}x{width} "
                f"pixels of {config.data}); use fewer pixels, e.g. --translate 2"
            )
    return problems


REQUIRED_SAVED = ("model", "data", "epochs")  # without these a saved config cannot rebuild its run
_SAVED_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "dict": (dict,)}


def _saved_value_problems(values: dict) -> list[str]:
    """Missing essentials and values of the wrong type in a config read from a file (hand-edited or damaged)."""
    problems = [f"lacks {key!r}" for key in REQUIRED_SAVED if key not in values]
    annotations = {f.name: str(f.type) for f in dataclasses.fields(TrainConfig)}
    for key, value in values.items():
        kinds = [k.strip() for k in annotations[key].split("|")]
        if value is None and "None" in kinds:
            continue
        allowed = tuple(t for k in kinds for t in _SAVED_TYPES.get(k, ()))
        if allowed and (not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)):
            problems.append(f"has {key}={value!r}, which is not {' or '.join(kinds)}")
    return problems


def resume_config(run_dir, changes: dict) -> TrainConfig:
    """The saved config of the run in `run_dir` with `changes` applied; only RESUMABLE settings may differ
    (a setting given with the value it already has is no change)."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise CnnlabError(f"--resume {run_dir}: not a run folder (no config.json)")
    config = TrainConfig.load(run_dir / "config.json")
    changed = sorted(k for k in set(changes) - set(RESUMABLE) if k != "out" and changes[k] != getattr(config, k, None))
    if changed:
        raise CnnlabError(
            "--resume continues a run with its saved config; only --epochs and --device may change, "
            f"not --{changed[0].replace('_', '-')}"
        )
    _refuse_resuming_a_finished_run(run_dir, changes.get("epochs"))
    for key in set(RESUMABLE) & set(changes):
        setattr(config, key, changes[key])
    config.out = str(run_dir)
    return config.validate()


def _refuse_resuming_a_finished_run(run_dir: Path, epochs: int | None) -> None:
    """A finished run is only continued to a larger --epochs, so its results are never rewritten by accident."""
    results = run_dir / "results.json"
    if not results.is_file():
        return
    try:
        done = int(json.loads(results.read_text())["epochs"])
    except (OSError, ValueError, KeyError, TypeError):
        return  # an unreadable results.json is rewritten by the run that resumes
    if epochs is None or epochs <= done:
        more = f"--epochs {epochs} is not more than that" if epochs is not None else "nothing is left to train"
        raise CnnlabError(
            f"--resume {run_dir}: the run has finished its {done} epochs (results.json) and {more}; "
            f"to train it further give --epochs larger than {done}, for a new run use --out"
        )
