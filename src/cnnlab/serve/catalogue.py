"""The runs a server shows: run folders found from the command line (or under runs/), each with a short id
for URLs, its config and results, and its model loaded once, on first use."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cnnlab.errors import CnnlabError

__all__ = ["RunEntry", "RunCatalogue", "find_run_dirs"]


def find_run_dirs(paths: list[str | Path], default_root: str | Path = "runs") -> list[Path]:
    """The given folders (each a run folder, or a folder of run folders); with none given, every run under
    `default_root`. A given path that is neither is an error; an empty or missing `default_root` gives []."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if (path / "config.json").is_file():
            found.append(path)
        elif path.is_dir() and (children := _runs_below(path)):
            found.extend(children)
        else:
            raise CnnlabError(
                f"{path} is not a run folder (no config.json) and holds none; give folders written by `cnnlab train`"
            )
    if not paths and Path(default_root).is_dir():
        found = _runs_below(Path(default_root))
    unique = []
    for path in found:
        if path.resolve() not in {p.resolve() for p in unique}:
            unique.append(path)
    return unique


def _runs_below(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if (p / "config.json").is_file())


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@dataclass
class RunEntry:
    id: str
    path: Path
    config: dict
    results: dict
    _model: object = field(default=None, repr=False)

    @property
    def task(self) -> str:
        return self.config.get("task", "classify")

    @property
    def can_predict(self) -> bool:
        return self.task == "classify" and (self.path / "best.safetensors").is_file()

    def describe(self) -> dict:
        """What GET /api/runs shows of a run."""
        test = self.results.get("test", {})
        return {
            "id": self.id,
            "path": str(self.path),
            "model": self.config.get("model"),
            "data": self.config.get("data"),
            "task": self.task,
            "epochs": self.results.get("epochs"),
            "test_accuracy": test.get("accuracy"),
            "can_predict": self.can_predict,
            "has_report": (self.path / "report.html").is_file(),
        }


class RunCatalogue:
    """Run folders by id; `predictor(id)` loads a run's model the first time it is asked for, once."""

    def __init__(self, run_dirs: list[Path]):
        self.entries: dict[str, RunEntry] = {}
        for path in run_dirs:
            base = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.resolve().name).strip("-.") or "run"
            run_id, n = base, 2
            while run_id in self.entries:
                run_id, n = f"{base}-{n}", n + 1
            self.entries[run_id] = RunEntry(
                run_id, path, _read_json(path / "config.json"), _read_json(path / "results.json")
            )
        self._lock = threading.Lock()

    def get(self, run_id: str) -> RunEntry:
        if run_id not in self.entries:
            raise KeyError(run_id)
        return self.entries[run_id]

    def predictor(self, run_id: str):
        from cnnlab.serve.inference import Predictor

        entry = self.get(run_id)
        with self._lock:
            if entry._model is None:
                entry._model = Predictor.from_run(entry.path)
            return entry._model
