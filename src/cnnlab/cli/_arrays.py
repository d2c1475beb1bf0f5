"""Arrays on the command line: `1,2,3,4` is 1-D, `0,1,2;3,4,5;6,7,8` is 2-D (rows split by `;`)."""

from __future__ import annotations

import argparse
import re

import numpy as np

from cnnlab.errors import CnnlabError

__all__ = [
    "parse_array",
    "check_finite",
    "format_array",
    "array_json",
    "add_array_options",
    "add_json_option",
    "ARRAY_HELP",
]

ARRAY_HELP = "numbers: 1,2,3,4 (1-D) or '0,1,2;3,4,5' (2-D, rows split by ';', quoted for the shell)"


INTEGER = re.compile(r"[+-]?[0-9]+")
INT64 = np.iinfo(np.int64)


def _cells(row: str, name: str, text: str) -> list[str]:
    """`1,2,3` or `1 2 3` -> ['1', '2', '3']; an empty value between commas is refused, not skipped."""
    if "," not in row:
        return row.split()
    cells = [cell.strip() for cell in row.split(",")]
    if "" in cells:
        raise CnnlabError(f"{name} {text!r} has an empty value between commas: write every number, e.g. 1,0,2")
    return cells


def parse_array(text: str, name: str = "array") -> np.ndarray:
    """Text -> a 1-D or 2-D array; integers stay integers (so integer results print exactly).

    Integers beyond int64 become Python integers (an object array), which numpy sums exactly.
    """
    rows = [_cells(row, name, text) for row in text.strip().strip(";").split(";")]
    lengths = {len(row) for row in rows}
    if 0 in lengths:
        raise CnnlabError(f"{name} {text!r} has an empty row: write numbers like 1,2,3 or '1,2;3,4'")
    if len(lengths) != 1:
        raise CnnlabError(
            f"{name} {text!r} has rows of different lengths {sorted(lengths)}: every row needs the same count"
        )
    if all(INTEGER.fullmatch(v) for row in rows for v in row):
        integers = [[int(v) for v in row] for row in rows]
        huge = any(not INT64.min <= v <= INT64.max for row in integers for v in row)
        values = np.array(integers, dtype=object if huge else np.int64)
    else:
        try:
            values = np.array([[float(v) for v in row] for row in rows])
        except ValueError:
            raise CnnlabError(f"{name} {text!r} is not a list of numbers like 1,2,3 or '1,2;3,4'") from None
        if not np.all(np.isfinite(values)):
            raise CnnlabError(f"{name} {text!r} contains inf or nan (or a number beyond float64's 1.8e308)")
    return values[0] if len(rows) == 1 else values


def check_finite(result: np.ndarray, what: str) -> np.ndarray:
    """Refuse a float result that overflowed to inf rather than print it as a number."""
    if result.dtype.kind in "fc" and not np.all(np.isfinite(result)):
        raise CnnlabError(f"the {what} overflows float64 (largest 1.8e308): scale the inputs down")
    return result


def _number(v) -> str:
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    text = f"{float(v):.6g}"
    return "0" if text == "-0" else text


def format_array(a: np.ndarray) -> list[str]:
    """1-D -> one line; 2-D -> one line per row with right-aligned columns."""
    a = np.asarray(a)
    if a.ndim == 1:
        return [" ".join(_number(v) for v in a)]
    cells = [[_number(v) for v in row] for row in a]
    width = max(len(c) for row in cells for c in row)
    return [" ".join(c.rjust(width) for c in row) for row in cells]


def array_json(a: np.ndarray) -> dict:
    a = np.asarray(a)
    return {"shape": list(a.shape), "result": a.tolist()}


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for programs instead of text")


def add_array_options(parser: argparse.ArgumentParser, mode_default: str) -> None:
    """--mode/--stride/--padding/--dilation as the library's convolve/correlate take them."""
    parser.add_argument(
        "--mode",
        choices=["full", "valid", "same"],
        default=mode_default,
        help=f"valid: no padding (O = I-K+1); same: O = I; full: O = I+K-1 (default {mode_default})",
    )
    parser.add_argument("--stride", type=int, default=1, help="step between outputs (default 1)")
    parser.add_argument("--padding", type=int, default=0, help="extra zeros on every side (default 0)")
    parser.add_argument("--dilation", type=int, default=1, help="spacing between kernel taps (default 1)")
