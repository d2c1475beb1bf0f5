"""cnnlab: a CNN laboratory on PyTorch.

    >>> import cnnlab
    >>> model = cnnlab.create_model("lenet5", in_shape=(1, 28, 28), num_classes=10)

`import cnnlab` loads nothing heavy: the torch-based names below are imported on first use, so that the
NumPy parts (`cnnlab.conv`, `cnnlab.scratch`) and their commands start without torch.
"""

from cnnlab.errors import CnnlabError

__all__ = ["CnnlabError", "create_model", "list_models", "summary"]
__version__ = "0.1.0"

# name -> module that defines it; imported when the name is first asked for
_LAZY = {"create_model": "cnnlab.models", "list_models": "cnnlab.models", "summary": "cnnlab.inspect"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'cnnlab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
