"""Parsing `--option key=value` model options: numbers, booleans, tuples (`100,100`) and strings."""

from __future__ import annotations

import ast

from cnnlab.errors import CnnlabError

__all__ = ["parse_options"]


def _value(text: str):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_options(items: list[str] | None) -> dict:
    """['hidden=100,100', 'activation=relu'] -> {'hidden': (100, 100), 'activation': 'relu'}."""
    options = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CnnlabError(f"--option {item!r} is not of the form key=value, e.g. --option dropout=0.5")
        options[key.strip().replace("-", "_")] = _value(value.strip())
    return options
