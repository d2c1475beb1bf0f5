"""Run folders: `runs/<name>/` with config.json, metrics.csv, checkpoints, results.json and plots."""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import time
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Callable, Iterator

from cnnlab.errors import CnnlabError
from cnnlab.files import write_json_atomic, write_text_atomic
from cnnlab.safe_paths import os_reason, refuse_protected_folder
from cnnlab.train.run_lock import LOCK_NAME, RunLock

__all__ = [
    "open_run",
    "prepare_run_dir",
    "claim_run_dir",
    "run_folder_scope",
    "check_run_dir",
    "default_run_dir",
    "write_metrics_csv",
    "write_json",
    "write_data_facts",
    "trained_data",
    "METRIC_COLUMNS",
    "MARKER_NAME",
    "RUN_FILES",
    "DATA_FACTS_NAME",
]

METRIC_COLUMNS = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "epoch_time_s",
    "images_per_s",
]


def open_run(run_dir: Path, which: str = "best", writer: str = "cnnlab train"):
    """A run folder's TrainConfig and the path of its best (or last) weights; a clear error if either is missing."""
    from cnnlab.train.config import TrainConfig

    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise CnnlabError(f"{run_dir} is not a run folder (no config.json); give the folder `{writer}` wrote")
    config = TrainConfig.load(run_dir / "config.json")
    weights = run_dir / f"{which}.safetensors"
    if not weights.is_file():
        raise CnnlabError(f"{run_dir} has no {weights.name}; did its training finish an epoch?")
    return config, weights


DATA_FACTS_NAME = "data.json"  # own data: the image shape, classes and mean/std the model was trained with


def write_data_facts(run_dir: Path, data: str) -> None:
    """For own data (folder:, csv:), store in the run folder what its model needs of the data (shape, classes,
    normalisation), so that predict and export work after the data and its cache are gone. Named datasets
    are described by cnnlab itself and get no file."""
    from cnnlab.data.datasets import dataset_spec, spec_facts
    from cnnlab.data.own_data import is_own_data

    if is_own_data(data):
        write_json_atomic(Path(run_dir) / DATA_FACTS_NAME, spec_facts(dataset_spec(data)))


@contextmanager
def trained_data(run_dir: Path) -> Iterator[None]:
    """Inside the block, the run's own data is described as the run stored it (its data.json) when it did:
    what predict, eval, export and the report of that run need, whatever became of the data since."""
    from cnnlab.data.datasets import spec_from_facts, trained_spec

    path = Path(run_dir) / DATA_FACTS_NAME
    if not path.is_file():
        yield
        return
    remedy = "restore it, or delete it to use the data as it is now"
    try:
        facts = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CnnlabError(f"cannot read {path}: {error}; {remedy}") from None
    if not isinstance(facts, dict):
        raise CnnlabError(f"{path} is not a JSON object; {remedy}")
    try:
        spec = spec_from_facts(facts)
    except CnnlabError as error:
        raise CnnlabError(f"{path}: {error}; {remedy}") from None
    with trained_spec(spec):
        yield


def default_run_dir(data: str, model: str) -> Path:
    from cnnlab.data import dataset_label

    return Path("runs") / f"{dataset_label(data)}-{model}-{time.strftime('%Y%m%d-%H%M%S')}"


MARKER_NAME = ".cnnlab-run"  # written into every folder cnnlab creates for a run; --overwrite needs it
# Every name cnnlab writes into a run folder. --overwrite deletes these and nothing else, and refuses a folder
# that holds anything more; a writer that adds a file to run folders adds its name here.
RUN_FILES = frozenset(
    {
        MARKER_NAME,
        LOCK_NAME,
        "config.json",
        "metrics.csv",
        "best.safetensors",
        "last.safetensors",
        "last.state.pt",
        "results.json",
        "confusion.csv",
        "curves.png",
        "confusion.png",
        "rmse_by_lead.png",
        "forecast_maps.png",
        "cyclones.png",
        "report.html",
        "settings.json",
        "table.md",
        "table.csv",
        "curves.csv",
        "plot.png",
        "status.json",
        "convergence.png",
        "tsne.png",
        DATA_FACTS_NAME,
        "compared.json",
        "forecast.nc",
        "regimes.npz",
        "regime_composites.png",
    }
)
RUN_FILE_PATTERNS = (".*.tmp",)  # temporary files of an atomic write cut short
RUN_SUBFOLDERS = {"tb": ("events.out.tfevents.*",)}  # TensorBoard logs
RUNS_SUBFOLDER = "models"  # an experiment's folder holds the run folders of the models it trained here
CHECKPOINTS = ("last.state.pt", "best.safetensors", "last.safetensors")  # a folder holding one is kept on failure


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def _is_run_file(name: str) -> bool:
    return name in RUN_FILES or _matches(name, RUN_FILE_PATTERNS)


def _foreign_entries(folder: Path) -> list[str]:
    """The names in `folder` that cnnlab did not write (subfolders shown with a trailing /)."""
    foreign = []
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink():
            foreign.append(entry.name)
        elif entry.is_dir() and entry.name == RUNS_SUBFOLDER:
            if not all(_is_run_folder(inner) for inner in entry.iterdir()):
                foreign.append(entry.name + "/")
        elif entry.is_dir():
            patterns = RUN_SUBFOLDERS.get(entry.name)
            inside = list(entry.iterdir())
            if patterns is None or any(e.is_dir() or not _matches(e.name, patterns) for e in inside):
                foreign.append(entry.name + "/")
        elif not _is_run_file(entry.name):
            foreign.append(entry.name)
    return foreign


def _is_run_folder(folder: Path) -> bool:
    """A folder cnnlab made for a run (its marker) that holds nothing but what cnnlab writes."""
    return (
        folder.is_dir()
        and not folder.is_symlink()
        and (folder / MARKER_NAME).is_file()
        and not _foreign_entries(folder)
    )


def _listing(names: list[str]) -> str:
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def check_run_dir(path: Path, overwrite: bool, flag: str = "--out", writer: str = "cnnlab train") -> None:
    """Raise unless `path` can become a run folder: absent or empty, or (with `overwrite`) a run folder that
    cnnlab created (its marker file) holding only files cnnlab writes. Changes nothing."""
    path = Path(path)
    if overwrite:
        refuse_protected_folder(path, flag)
    if not path.exists():
        if path.is_symlink():
            raise CnnlabError(f"{flag} {path} is a broken symbolic link; give a new folder")
        return
    if not path.is_dir():
        raise CnnlabError(
            f"{flag} {path} is a file, not a folder; give a new folder name "
            f"(cnnlab does not replace files with run folders)"
        )
    try:
        contents = sorted(e.name + ("/" if e.is_dir() else "") for e in path.iterdir() if e.name != LOCK_NAME)
    except OSError as error:
        raise CnnlabError(f"{flag} {path}: cannot read the folder ({os_reason(error)})") from None
    if not contents:
        return
    if not overwrite:
        resume = f", --resume {path} to continue it" if writer == "cnnlab train" else ""
        raise CnnlabError(
            f"run folder {path} already exists; pass --overwrite to replace it{resume}, or --out for a new folder"
        )
    if not (path / MARKER_NAME).is_file():
        raise CnnlabError(
            f"--overwrite refused: {path} was not created by cnnlab (no {MARKER_NAME} marker) and holds "
            f"{_listing(contents)}; cnnlab deletes only its own run folders: choose another --out"
        )
    foreign = _foreign_entries(path)
    if foreign:
        raise CnnlabError(
            f"--overwrite refused: {path} holds files cnnlab did not write ({_listing(foreign)}); "
            f"move them out of the folder or choose another --out"
        )


def _remove_run_files(folder: Path, keep: tuple[str, ...] = (MARKER_NAME, LOCK_NAME)) -> None:
    """Delete the files cnnlab writes into a run folder (never anything else)."""
    for entry in folder.iterdir():
        if entry.name in keep or entry.is_symlink():
            continue
        if entry.is_dir() and entry.name == RUNS_SUBFOLDER:
            for inner in entry.iterdir():
                if _is_run_folder(inner):
                    _remove_run_files(inner, keep=())
                    _remove_empty(inner)
            _remove_empty(entry)
        elif entry.is_dir() and entry.name in RUN_SUBFOLDERS:
            for inner in entry.iterdir():
                if inner.is_file() and _matches(inner.name, RUN_SUBFOLDERS[entry.name]):
                    inner.unlink()
            try:
                entry.rmdir()
            except OSError:
                pass
        elif entry.is_file() and _is_run_file(entry.name):
            entry.unlink()


@contextmanager
def claim_run_dir(
    path: Path,
    overwrite: bool = False,
    resume: bool = False,
    log: Callable[[str], None] = print,
    flag: str = "--out",
    writer: str = "cnnlab train",
) -> Iterator[Path]:
    """Own `path` as a run folder while the block runs: create it (with its marker) or, with `overwrite`, empty
    a cnnlab run folder; lock it against a second writer; release the lock at the end. A block that fails
    before a checkpoint exists removes what it wrote, and the folder when it created it."""
    path = Path(path)
    if resume:
        with RunLock(path, log):
            yield path
        return
    check_run_dir(path, overwrite, flag, writer)
    created = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CnnlabError(
            f"{flag} {path}: cannot create the folder ({os_reason(error)}); choose a folder you can write to"
        ) from None
    lock = RunLock(path, log)
    try:
        lock.acquire()
        check_run_dir(path, overwrite, flag, writer)  # again, now that no other cnnlab process can write into it
        if overwrite:
            _remove_run_files(path)
        marker = {"written_by": writer, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        write_text_atomic(path / MARKER_NAME, json.dumps(marker) + "\n")
    except BaseException:
        lock.release()
        if created:
            _remove_run_files(path, keep=())
            _remove_empty(path)
        raise
    try:
        yield path
    except BaseException:
        if not any((path / name).exists() for name in CHECKPOINTS):
            _remove_run_files(path, keep=(LOCK_NAME,))
            lock.release()
            if created:
                _remove_empty(path)
        raise
    finally:
        lock.release()


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


_ACTIVE_SCOPE: ContextVar[ExitStack | None] = ContextVar("run_folder_scope", default=None)


@contextmanager
def run_folder_scope() -> Iterator[None]:
    """Run folders claimed by prepare_run_dir inside this block stay locked until it ends (and are cleaned up
    if it fails before their first checkpoint)."""
    with ExitStack() as stack:
        token = _ACTIVE_SCOPE.set(stack)
        try:
            yield
        finally:
            _ACTIVE_SCOPE.reset(token)


def prepare_run_dir(
    path: Path, overwrite: bool = False, resume: bool = False, log: Callable[[str], None] = print
) -> Path:
    """claim_run_dir for the enclosing run_folder_scope() (the training entry point opens one)."""
    stack = _ACTIVE_SCOPE.get()
    if stack is None:
        raise RuntimeError("prepare_run_dir must run inside run_folder_scope(); use claim_run_dir as a context manager")
    return stack.enter_context(claim_run_dir(path, overwrite, resume, log))


def write_metrics_csv(path: Path, history: list[dict], columns: list[str] = METRIC_COLUMNS) -> None:
    """One row per epoch, floats to 6 significant digits, written atomically; `columns` (the image trainer's
    by default, gridded runs pass theirs) plus the test columns of --test-every-epoch when the rows have them."""
    buffer = io.StringIO()
    extra = [k for k in ("test_loss", "test_accuracy") if history and k in history[0]]  # --test-every-epoch
    writer = csv.DictWriter(buffer, fieldnames=columns + extra, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    write_text_atomic(path, buffer.getvalue())


def write_json(path: Path, obj: dict) -> None:
    write_json_atomic(path, obj)
