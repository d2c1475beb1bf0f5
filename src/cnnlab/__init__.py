"""cnnlab: a CNN laboratory on PyTorch.

    >>> import cnnlab
    >>> model = cnnlab.create_model("lenet5", in_shape=(1, 28, 28), num_classes=10)

The names below torch are imported on first use, so `import cnnlab` (and every CLI command that does
not need torch, such as `cnnlab convolve` or `cnnlab runs`) starts without loading torch.
"""

from cnnlab.errors import CnnlabError
from cnnlab.version import __version__

__all__ = ["CnnlabError", "create_model", "list_models", "summary", "__version__"]

_LAZY = {"create_model": "cnnlab.models", "list_models": "cnnlab.models", "summary": "cnnlab.inspect"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cnnlab' has no attribute {name!r}")


# Modules that register training tasks (cnnlab.train.register_task). cnnlab.train imports them by name when
# a task is asked for, so the layers below geo never import it at module level.
TASK_MODULES = ("cnnlab.geo.tasks",)
