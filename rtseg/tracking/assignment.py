"""Optimal one-to-one assignment under a cost limit.

Uses ``lap.lapjv`` (Jonker-Volgenant); when ``lap`` cannot be imported, ``scipy``'s
``linear_sum_assignment`` solves the same thresholded problem (see :func:`_solve_scipy`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

try:
    import lap
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    lap = None


class Assignment(NamedTuple):
    """Matched (row, col) pairs plus the rows and columns left over, all ascending."""

    matches: np.ndarray
    unmatched_rows: np.ndarray
    unmatched_cols: np.ndarray


def _solve_lap(cost: np.ndarray, limit: float) -> np.ndarray:
    """Column per row (-1 for none) from lapjv."""
    _, row_to_col, _ = lap.lapjv(cost, extend_cost=True, cost_limit=limit)
    return np.asarray(row_to_col, dtype=np.int64)


def _solve_scipy(cost: np.ndarray, limit: float) -> np.ndarray:
    """Column per row (-1 for none) from scipy, on the padded problem lapjv solves.

    Each row and each column may instead pair with a dummy at ``limit / 2``, so leaving a row and
    a column both unmatched costs ``limit``: a pair is only used when it costs less than that.
    """
    from scipy.optimize import linear_sum_assignment

    n_rows, n_cols = cost.shape
    padded = np.full((n_rows + n_cols, n_cols + n_rows), limit / 2.0)
    padded[:n_rows, :n_cols] = cost
    padded[n_rows:, n_cols:] = 0.0
    rows, cols = linear_sum_assignment(padded)
    row_to_col = np.full(n_rows, -1, dtype=np.int64)
    real = (rows < n_rows) & (cols < n_cols)
    row_to_col[rows[real]] = cols[real]
    return row_to_col


def linear_assignment(cost: np.ndarray, limit: float, use_lap: bool = True) -> Assignment:
    """Minimum-cost matching of rows to columns, never pairing at a cost above ``limit``."""
    cost = np.asarray(cost, dtype=np.float64)
    n_rows, n_cols = cost.shape
    row_to_col = np.full(n_rows, -1, dtype=np.int64)
    if n_rows and n_cols:
        solve = _solve_lap if (use_lap and lap is not None) else _solve_scipy
        row_to_col = solve(cost, limit)
    rows = np.nonzero(row_to_col >= 0)[0]
    cols = row_to_col[rows]
    keep = cost[rows, cols] <= limit
    rows, cols = rows[keep], cols[keep]
    return Assignment(
        matches=np.stack([rows, cols], axis=1),
        unmatched_rows=np.setdiff1d(np.arange(n_rows), rows),
        unmatched_cols=np.setdiff1d(np.arange(n_cols), cols),
    )
