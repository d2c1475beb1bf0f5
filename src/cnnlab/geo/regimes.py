"""Weather regimes from the training period, and labels per time from a user's CSV.

Regimes the standard way (Michelangeli et al. 1995; Cassou 2008), from training times only:
  1. climatology per grid cell, a least-squares fit over the training times of
         c(t) = a0 + sum_{k=1,2} (a_k cos k*phi_year + b_k sin k*phi_year) + (c_1 cos phi_day + d_1 sin phi_day)
                + (c_2 cos 2 phi_day + d_2 sin 2 phi_day)
     (a smooth seasonal cycle and the mean daily cycle: one training year is too short for a day-of-year mean);
  2. anomalies x'(t) = x(t) - c(t), weighted by sqrt(cos latitude) so that distances are area-weighted;
  3. EOFs: PCA of the daily-mean training anomalies, kept to `components` (10) leading components;
  4. k-means with K clusters on the principal components (10 restarts, seeded); clusters are numbered by
     their size in the training period, largest first ("regime 1" is the most frequent).
Every time, of every split, is then assigned to the nearest centre in the EOF space of its own anomaly.
Everything the assignment needs (climatology coefficients, EOFs, centres, names) is saved as one .npz.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnlab.errors import CnnlabError
from cnnlab.files import atomic_path
from cnnlab.geo.forecast_data import time_features

__all__ = [
    "Regimes",
    "fit_regimes",
    "load_regimes",
    "read_label_csv",
    "check_labels",
    "parse_regimes_spec",
    "REGIMES_FILE_NAME",
]

REGIMES_FILE_NAME = "regimes.npz"


def _design(times: np.ndarray) -> np.ndarray:
    """(T, 9): 1, the first two harmonics of the year and of the day (sin/cos from time_features)."""
    f = time_features(np.asarray(times, "datetime64[ns]")).astype(np.float64)  # sin/cos hour, sin/cos year
    sin_h, cos_h, sin_y, cos_y = f.T
    second = lambda s, c: (2 * s * c, c * c - s * s)  # noqa: E731  sin 2a, cos 2a
    sin_h2, cos_h2 = second(sin_h, cos_h)
    sin_y2, cos_y2 = second(sin_y, cos_y)
    return np.stack([np.ones_like(sin_h), cos_y, sin_y, cos_y2, sin_y2, cos_h, sin_h, cos_h2, sin_h2], axis=1)


@dataclass
class Regimes:
    climatology: np.ndarray  # (9, C, H, W) coefficients of _design
    area_weights: np.ndarray  # (H,) sqrt(cos latitude)
    pca_mean: np.ndarray  # (D,)
    components: np.ndarray  # (E, D) EOFs
    centres: np.ndarray  # (K, E) in EOF space
    names: list[str]
    train_period: tuple[str, str]

    @property
    def k(self) -> int:
        return len(self.names)

    def anomalies(self, fields: np.ndarray, times: np.ndarray) -> np.ndarray:
        """x'(t) = x(t) - c(t), (T, C, H, W)."""
        clim = np.tensordot(_design(times), self.climatology, axes=(1, 0))
        return np.asarray(fields, np.float64) - clim

    def project(self, anomalies: np.ndarray) -> np.ndarray:
        """(T, C, H, W) anomalies -> (T, E) principal components."""
        flat = (anomalies * self.area_weights[:, None]).reshape(len(anomalies), -1)
        return (flat - self.pca_mean) @ self.components.T

    def assign(self, fields: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Regime index (T,) of every time: the nearest centre to its own anomaly in EOF space."""
        pcs = self.project(self.anomalies(fields, times))
        distance = ((pcs[:, None, :] - self.centres[None]) ** 2).sum(-1)
        return distance.argmin(1)

    def composites(self, fields: np.ndarray, times: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """(K, C, H, W): the mean anomaly of each regime over the given times (what each class looks like)."""
        anomalies = self.anomalies(fields, times)
        return np.stack(
            [
                anomalies[labels == k].mean(0) if (labels == k).any() else np.full(anomalies.shape[1:], np.nan)
                for k in range(self.k)
            ]
        )

    def save(self, path: str | Path) -> None:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(
                    f,
                    climatology=self.climatology,
                    area_weights=self.area_weights,
                    pca_mean=self.pca_mean,
                    components=self.components,
                    centres=self.centres,
                    names=np.array(self.names, dtype=str),
                    train_period=np.array(self.train_period, dtype=str),
                )


def load_regimes(path: str | Path) -> Regimes:
    """The regimes a run saved (no pickle: plain arrays only)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return Regimes(
                z["climatology"],
                z["area_weights"],
                z["pca_mean"],
                z["components"],
                z["centres"],
                [str(n) for n in z["names"]],
                tuple(str(p) for p in z["train_period"]),
            )
    except (OSError, KeyError, ValueError) as error:
        raise CnnlabError(f"cannot read regimes from {path}: {error}") from None


def fit_regimes(
    fields: np.ndarray,
    times: np.ndarray,
    lat: np.ndarray,
    train: np.ndarray,
    k: int,
    components: int = 10,
    seed: int = 0,
) -> Regimes:
    """Regimes from the training times only: `train` is a boolean mask (T,) or an index into fields (T, C, H, W)."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    train_index = np.flatnonzero(train) if np.asarray(train).dtype == bool else np.asarray(train)
    train_fields = np.asarray(fields[train_index], np.float64)
    train_times = np.asarray(times, "datetime64[ns]")[train_index]
    if not np.isfinite(train_fields).all():
        raise CnnlabError("weather regimes need complete fields in the training period; it has missing (NaN) values")
    design = _design(train_times)
    flat = train_fields.reshape(len(train_fields), -1)
    coefficients, *_ = np.linalg.lstsq(design, flat, rcond=None)
    climatology = coefficients.reshape((design.shape[1],) + train_fields.shape[1:])
    area_weights = np.sqrt(np.clip(np.cos(np.deg2rad(np.asarray(lat, np.float64))), 0, None))
    anomalies = (train_fields - np.tensordot(design, climatology, axes=(1, 0))) * area_weights[:, None]
    days, day_of = np.unique(train_times.astype("datetime64[D]"), return_inverse=True)
    daily = np.stack([anomalies[day_of == d].mean(0) for d in range(len(days))]).reshape(len(days), -1)
    if len(days) < max(k, 2) + 1:
        raise CnnlabError(f"the training period holds {len(days)} days: too few for {k} weather regimes; widen it")
    pca = PCA(n_components=min(components, len(days) - 1), random_state=seed).fit(daily)
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(pca.transform(daily))
    order = np.argsort(-np.bincount(kmeans.labels_, minlength=k), kind="stable")  # largest cluster first
    period = tuple(str(np.datetime_as_string(t, unit="s")) for t in (train_times[0], train_times[-1]))
    return Regimes(
        climatology,
        area_weights,
        pca.mean_,
        pca.components_,
        kmeans.cluster_centers_[order],
        [f"regime {i + 1}" for i in range(k)],
        period,
    )


def parse_regimes_spec(text: str) -> int | None:
    """'regimes:4' -> 4; anything else (a CSV path) -> None."""
    if not text.startswith("regimes:"):
        return None
    count = text.partition(":")[2]
    if not count.isdigit() or int(count) < 2:
        raise CnnlabError(f"--labels {text}: give the number of regimes, at least 2, e.g. regimes:4")
    return int(count)


def read_label_csv(path: str | Path, times: np.ndarray, where: str) -> tuple[np.ndarray, list[str]]:
    """Labels per time from a CSV with columns `time,label` (others ignored): (T,) class indices, -1 where the
    CSV says nothing, and the class names (sorted). Times must be times of the data (`where` names it)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
            header = rows and list(rows[0].keys()) or []
    except OSError as error:
        raise CnnlabError(f"cannot read --labels {path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise CnnlabError(f"--labels {path} is not a UTF-8 CSV file: {error}") from None
    if not rows:
        raise CnnlabError(f"--labels {path} holds no rows; write a header `time,label` and one row per labelled time")
    if not {"time", "label"} <= set(header):
        raise CnnlabError(
            f"--labels {path} needs the columns time,label; its header has: {', '.join(map(str, header))}"
        )
    data_times = np.asarray(times, "datetime64[ns]")
    position = {t: i for i, t in enumerate(data_times.astype("datetime64[s]").tolist())}
    labels = np.full(len(data_times), -1, np.int64)
    texts: list[tuple[int, str]] = []
    missing: list[str] = []
    for row_number, row in enumerate(rows, start=2):
        stamp, label = (row.get("time") or "").strip(), (row.get("label") or "").strip()
        if not label:
            raise CnnlabError(f"--labels {path} row {row_number}: empty label for time {stamp!r}")
        try:
            when = np.datetime64(stamp, "s").tolist()
        except ValueError:
            raise CnnlabError(
                f"--labels {path} row {row_number}: {stamp!r} is not an ISO time like 2013-01-01T06:00"
            ) from None
        if when not in position:
            missing.append(stamp)
            continue
        texts.append((position[when], label))
    if missing:
        raise CnnlabError(
            f"--labels {path}: {len(missing)} time(s) are not times of {where}, the first {missing[0]}; "
            f"labels must name the data's own times"
        )
    names = sorted({label for _, label in texts})
    index = {name: i for i, name in enumerate(names)}
    for position_of_time, label in texts:
        labels[position_of_time] = index[label]
    return labels, names


def check_labels(
    labels: np.ndarray,
    names: list[str],
    splits: dict[str, np.ndarray],
    periods: dict[str, tuple[str, str]],
    source: str,
) -> None:
    """Refuse labels a classifier cannot learn from: none in the training period, or a class with one sample."""
    train = labels[splits["train"]]
    if not (train >= 0).any():
        first, last = periods["train"]
        raise CnnlabError(
            f"{source} labels no time of the training period {first}..{last} (only later times); "
            f"label training times too, or move --train-period"
        )
    counts = np.bincount(labels[labels >= 0], minlength=len(names))
    for name, count in zip(names, counts):
        if count < 2:
            raise CnnlabError(
                f"class {name!r} of {source} has only {count} labelled time; "
                "a class needs at least 2 (merge or drop it)"
            )
    if len(names) < 2:
        raise CnnlabError(f"{source} holds one class ({names[0]!r}); a classifier needs at least 2")
