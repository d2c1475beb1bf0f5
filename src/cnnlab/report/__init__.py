"""cnnlab.report: pictures of a run folder."""

from cnnlab.report.plots import have_matplotlib, plot_confusion, plot_curves

__all__ = ["have_matplotlib", "plot_curves", "plot_confusion"]
