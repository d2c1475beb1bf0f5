"""The optional libraries of the report (matplotlib, scikit-learn), imported only when a picture needs them."""

from __future__ import annotations

import importlib

from cnnlab.errors import CnnlabError

__all__ = ["MissingExtra", "require"]


class MissingExtra(CnnlabError):
    """An optional library is not installed; the message names the pip extra that installs it."""


def require(module: str, extra: str = "report"):
    """`import module`, or a one-line error saying which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingExtra(f"{top} is not installed; the report needs it: pip install 'cnnlab[{extra}]'") from None


def pyplot():
    """matplotlib.pyplot on the Agg backend (cnnlab.figures), or a one-line error naming the extra."""
    require("matplotlib", "plot")
    from cnnlab.figures import pyplot as agg_pyplot

    return agg_pyplot()
