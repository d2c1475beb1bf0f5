"""Model options checked before anything is built: types, ranges, list lengths, and the memory the weights need.

`--option width=-4` must not reach torch (which answers with a traceback about negative dimensions), and
`--option width=100000` must not allocate until the machine kills the process. The rules are keyed by the
option's name, which means the same thing in every family (dropout is a probability, width a channel count);
an option without a rule must at least have the type of its default.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable

from cnnlab.errors import CnnlabError

__all__ = ["check_model_options", "check_parameter_memory", "memory_limit_bytes"]

MAX_CHANNELS = 8192  # wider than any published CNN layer; keeps a typo from asking for terabytes


def _where(model: str, option: str, value) -> str:
    return f"model {model!r}: option {option}={value!r}"


def _integer(model: str, option: str, value, low: int, high: int | None = None) -> int:
    allowed = f"from {low} to {high}" if high is not None else f">= {low}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise CnnlabError(
            f"{_where(model, option, value)} must be a whole number {allowed}, e.g. {option}={max(low, 1)}"
        )
    if value < low or (high is not None and value > high):
        raise CnnlabError(f"{_where(model, option, value)} is out of range; it must be {allowed}")
    return int(value)


MAX_WIDTH_FACTOR = 64.0  # a width multiplier (googlenet): 64x its channels is already past any published layer


def _positive(model: str, option: str, value, default) -> int | float:
    if isinstance(default, float):  # a multiplier of the family's channel counts, not a count
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise CnnlabError(f"{_where(model, option, value)} must be a positive number, e.g. {option}={default}")
        if not 0 < value <= MAX_WIDTH_FACTOR:
            raise CnnlabError(
                f"{_where(model, option, value)} is out of range; it scales the channel counts and "
                f"must be in (0, {MAX_WIDTH_FACTOR:g}]"
            )
        return float(value)
    return _integer(model, option, value, 1, MAX_CHANNELS)


def _probability(model: str, option: str, value, default) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise CnnlabError(f"{_where(model, option, value)} must be a number in [0, 1), e.g. {option}=0.5")
    if not 0 <= value < 1:
        raise CnnlabError(f"{_where(model, option, value)} is out of range; a dropout probability is in [0, 1)")
    return float(value)


def _flag(model: str, option: str, value, default) -> bool:
    if not isinstance(value, bool):
        raise CnnlabError(f"{_where(model, option, value)} must be true or false")
    return value


def _sizes(model: str, option: str, value, default) -> tuple[int, ...]:
    """A list of channel counts: `16,32,64`; as long as the default when the architecture fixes the count."""
    items = (value,) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    if not isinstance(items, (tuple, list)) or not items:
        raise CnnlabError(
            f"{_where(model, option, value)} must be whole numbers separated by commas, "
            f"e.g. {option}={','.join(map(str, default))}"
        )
    fixed_length = option == "widths"  # one width per stage of the network
    if fixed_length and len(items) != len(default):
        raise CnnlabError(
            f"{_where(model, option, value)} needs exactly {len(default)} widths (one per stage), "
            f"e.g. {option}={','.join(map(str, default))}"
        )
    return tuple(_integer(model, option, v, 1, MAX_CHANNELS) for v in items)


def _hidden(model: str, option: str, value, default):
    if isinstance(default, tuple):  # a stack of hidden layers (mlp)
        return _sizes(model, option, value, default)
    return _positive(model, option, value, default)


def _dilation(model: str, option: str, value, default) -> str:
    text = ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)
    parts = text.split(",")
    if not all(p.strip().isdigit() and int(p) >= 1 for p in parts) or len(parts) > 16:
        raise CnnlabError(
            f"{_where(model, option, value)} must be up to 16 whole numbers >= 1 separated by commas, "
            f"e.g. {option}=1,2,4"
        )
    return ",".join(p.strip() for p in parts)


def _padding(model: str, option: str, value, default):
    return None if value is None else _integer(model, option, value, 0, 64)


def _choice(choices: tuple[str, ...]) -> Callable:
    def check(model: str, option: str, value, default) -> str:
        if value not in choices:
            raise CnnlabError(f"{_where(model, option, value)} is not one of: {', '.join(choices)}")
        return value

    return check


def _text(model: str, option: str, value, default) -> str:
    if not isinstance(value, str) or not value:
        raise CnnlabError(f"{_where(model, option, value)} must be a name, e.g. {option}={default}")
    return value


RULES: dict[str, Callable] = {
    "dropout": _probability,
    "batch_norm": _flag,
    "width": _positive,
    "filters": _positive,
    "hidden": _hidden,
    "widths": _sizes,
    "blocks": lambda m, o, v, d: _integer(m, o, v, 1, 256),
    "depth": lambda m, o, v, d: _integer(m, o, v, 1, 16),
    "kernel_size": lambda m, o, v, d: _integer(m, o, v, 1, 63),
    "padding": _padding,
    "dilation": _dilation,
    "shortcut": _choice(("A", "B")),
    "activation": _text,  # the family names the activations it has
    "padding_mode": _text,  # cnnlab.models.padding names the modes
}


def _like_default(model: str, option: str, value, default):
    """An option without a rule: at least the type of its default."""
    bool_for_number = isinstance(value, bool) and not isinstance(default, bool)
    if default is None or isinstance(value, type(default)) and not bool_for_number:
        return value
    if isinstance(default, float) and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    raise CnnlabError(f"{_where(model, option, value)} must be a {type(default).__name__} like its default {default!r}")


def check_model_options(model: str, defaults: dict, options: dict) -> dict:
    """The options with their values checked (and normalised: 16 -> (16,) for a list of sizes); raises
    CnnlabError naming the option and what is allowed."""
    return {
        name: RULES.get(name, _like_default)(model, name, value, defaults.get(name)) for name, value in options.items()
    }


def memory_limit_bytes() -> int:
    """The limit every size check of cnnlab uses (CNNLAB_MAX_BYTES, else half the available memory)."""
    from cnnlab.memory import max_bytes

    return max_bytes()


def check_parameter_memory(model: str, params: int, options: dict) -> None:
    """Training holds weights, gradients and two optimiser moments: 16 bytes per float32 parameter."""
    needed, limit = 16 * params, memory_limit_bytes()
    if needed > limit:
        shown = ", ".join(f"{k}={v}" for k, v in options.items()) or "its defaults"
        raise CnnlabError(
            f"model {model!r} with {shown} has {params:,} parameters: training needs about "
            f"{needed / 1e9:.1f} GB (weights, gradients, optimiser state), more than the limit of "
            f"{limit / 1e9:.1f} GB; use smaller options (or set CNNLAB_MAX_BYTES)"
        )
