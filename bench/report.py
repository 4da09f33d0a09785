"""What the benchmarks share: timing a function and printing rows as aligned tables.

Timings are printed, never asserted."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

#: A section's rows: (label, value) or (label, value, value...); an empty row is a blank
#: line. Consecutive rows of as many cells are printed as one table, columns aligned.
Rows = list[tuple[str, ...]]


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[list[float], object]:
    """Each run's seconds (the collector run before each) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def fmt(times: list[float]) -> str:
    """One time, or the median / min of several."""
    if len(times) == 1:
        return f"{times[0]:.2f} s"
    return f"{statistics.median(times):.2f} s / {min(times):.2f} s"


def table(rows: Rows) -> list[str]:
    """The rows as lines, each run of rows with the same number of cells aligned."""
    lines: list[str] = []
    k = 0
    while k < len(rows):
        end = k
        while end < len(rows) and len(rows[end]) == len(rows[k]):
            end += 1
        block = rows[k:end]
        widths = [max(len(row[c]) for row in block) for c in range(len(rows[k]))]
        for row in block:
            lines.append("  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths, strict=True)))
        k = end
    return lines
