"""cnnlab.runs: the run folders one has made, listed and compared, from their JSON files only (no torch)."""

from cnnlab.runs.compare import compare_runs
from cnnlab.runs.table import RUN_COLUMNS, SORT_KEYS, find_runs, read_run_row, sort_rows

__all__ = ["find_runs", "read_run_row", "sort_rows", "compare_runs", "RUN_COLUMNS", "SORT_KEYS"]
