"""Pictures of gridded runs: maps with lat/lon axes (coastlines when cartopy is installed), RMSE by lead
against the baselines, loss curves, and cyclone masks with their centres over the fields."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnlab.figures import pyplot, save_png

__all__ = ["plot_forecast_maps", "plot_rmse_by_lead", "plot_loss_curves", "plot_cyclones", "plot_regime_composites"]


def _map_axes(plt, rows: int, cols: int, size=(4.2, 2.6)):
    """Axes for maps; with cartopy a PlateCarree projection and coastlines, else plain lon/lat axes."""
    try:
        import cartopy.crs as ccrs

        fig, axes = plt.subplots(
            rows,
            cols,
            figsize=(size[0] * cols, size[1] * rows),
            squeeze=False,
            subplot_kw={"projection": ccrs.PlateCarree()},
        )
        for ax in axes.flat:
            ax.coastlines(linewidth=0.6)
        return fig, axes, {"transform": ccrs.PlateCarree()}
    except ImportError:
        fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False)
        return fig, axes, {}


def _show(fig, ax, lon, lat, values, title, cmap, extra, vmin=None, vmax=None):
    image = ax.pcolormesh(lon, lat, values, cmap=cmap, shading="auto", vmin=vmin, vmax=vmax, **extra)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_title(title, fontsize=9)
    if not extra:
        ax.set_xlabel("longitude (deg)")
        ax.set_ylabel("latitude (deg)")
    return image


def plot_forecast_maps(
    path: Path,
    fd,
    forecasts: np.ndarray,
    truth: np.ndarray,
    test_index: np.ndarray,
    title: str = "",
    sample: int | None = None,
) -> None:
    """One row per lead: input field at t, prediction, truth at t+lead, prediction - truth (first channel)."""
    plt = pyplot()
    sample = len(test_index) // 2 if sample is None else sample
    leads = len(fd.leads)
    fig, axes, extra = _map_axes(plt, leads, 4)
    initial = fd.fields[test_index[sample], 0]
    for i, name in enumerate(fd.lead_names):
        pred, true = forecasts[sample, i, 0], truth[sample, i, 0]
        low, high = (
            np.nanmin([initial.min(), pred.min(), true.min()]),
            np.nanmax([initial.max(), pred.max(), true.max()]),
        )
        when = np.datetime_as_string(fd.times[test_index[sample]], unit="h")
        _show(
            fig, axes[i, 0], fd.lon, fd.lat, initial, f"input {fd.channels[0]} at {when}", "coolwarm", extra, low, high
        )
        _show(fig, axes[i, 1], fd.lon, fd.lat, pred, f"prediction +{name}", "coolwarm", extra, low, high)
        _show(fig, axes[i, 2], fd.lon, fd.lat, true, f"truth +{name}", "coolwarm", extra, low, high)
        err = pred - true
        bound = float(np.nanmax(np.abs(err))) or 1.0
        _show(
            fig, axes[i, 3], fd.lon, fd.lat, err, f"error +{name} (prediction - truth)", "RdBu_r", extra, -bound, bound
        )
    fig.suptitle(title)
    fig.tight_layout()
    save_png(fig, path)


def plot_rmse_by_lead(path: Path, test: dict, title: str = "") -> None:
    """Latitude-weighted RMSE per lead time: the model against persistence and climatology, with a line at
    the first lead where the model no longer beats climatology (a rollout's useful range ends there)."""
    plt = pyplot()
    leads = [k for k in test if k.startswith("lead_")]
    hours = [float(k.removeprefix("lead_").rstrip("hdmin") or 0) for k in leads]
    fig, ax = plt.subplots(figsize=(5 if len(leads) <= 8 else 8, 3.5))
    for label, style in (("model", "-o"), ("persistence", "--s"), ("climatology", ":^")):
        ax.plot(hours, [test[k]["rmse"][label] for k in leads], style, label=label)
    lost = [
        (h, k)
        for h, k in zip(hours, leads)
        if None not in (test[k]["rmse"]["model"], test[k]["rmse"]["climatology"])
        and test[k]["rmse"]["model"] >= test[k]["rmse"]["climatology"]
    ]
    if lost:
        hour, key = lost[0]
        ax.axvline(hour, color="grey", linewidth=0.8)
        ax.annotate(
            f"no better than climatology from {key.removeprefix('lead_')}",
            (hour, ax.get_ylim()[0]),
            fontsize=7,
            rotation=90,
            va="bottom",
            ha="right",
        )
    step = max(1, len(leads) // 10)
    ax.set_xticks(hours[::step], [k.removeprefix("lead_") for k in leads][::step])
    ax.set_xlabel("lead time")
    ax.set_ylabel("latitude-weighted RMSE (units of the data)")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    save_png(fig, path)


def plot_loss_curves(path: Path, history: list[dict], title: str = "") -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    epochs = [r["epoch"] for r in history]
    ax.plot(epochs, [r["train_loss"] for r in history], "-o", label="train")
    if all(r["val_loss"] == r["val_loss"] for r in history):
        ax.plot(epochs, [r["val_loss"] for r in history], "-s", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    save_png(fig, path)


def plot_cyclones(
    path: Path,
    lat,
    lon,
    fields: np.ndarray,
    probabilities: np.ndarray,
    true_masks: np.ndarray,
    true_centres: list,
    predicted_centres: list,
    channel: str = "pressure",
    title: str = "",
) -> None:
    """Per scene: the first field with the true mask outline, the predicted mask, true (x) and predicted (+) centres."""
    plt = pyplot()
    scenes = len(fields)
    fig, axes, extra = _map_axes(plt, 2, scenes, size=(3.2, 2.8))
    for s in range(scenes):
        top, bottom = axes[0, s], axes[1, s]
        _show(fig, top, lon, lat, fields[s], f"scene {s}: {channel}", "viridis", extra)
        top.contour(lon, lat, true_masks[s], levels=[0.5], colors="white", linewidths=0.8, **extra)
        _show(fig, bottom, lon, lat, probabilities[s], "predicted mask", "magma", extra, 0, 1)
        for ax in (top, bottom):
            for la, lo in true_centres[s]:
                ax.plot(lo, la, "x", color="cyan", markersize=7, **extra)
            for la, lo in predicted_centres[s]:
                ax.plot(lo, la, "+", color="red", markersize=9, **extra)
    fig.suptitle(f"{title}  (x true centre, + predicted)")
    fig.tight_layout()
    save_png(fig, path)


def plot_regime_composites(
    path: Path, lat, lon, composites: np.ndarray, names: list[str], counts: list[int], title: str = ""
) -> None:
    """One map per regime: its mean anomaly (first channel) over the times assigned to it, on one colour scale."""
    plt = pyplot()
    k = len(names)
    cols = min(k, 3)
    rows = -(-k // cols)
    fig, axes, extra = _map_axes(plt, rows, cols)
    limit = float(np.nanmax(np.abs(composites[:, 0]))) or 1.0
    for i, ax in enumerate(axes.flat):
        if i >= k:
            ax.set_visible(False)
            continue
        _show(fig, ax, lon, lat, composites[i, 0], f"{names[i]} ({counts[i]:,} times)", "RdBu_r", extra, -limit, limit)
    fig.suptitle(title or "regime composites: mean anomaly from the climatology", fontsize=10)
    save_png(fig, path)
