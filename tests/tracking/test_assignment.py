"""Thresholded optimal assignment, with lap and with the scipy fallback."""

from __future__ import annotations

import numpy as np
import pytest

from rtseg.tracking.assignment import linear_assignment


@pytest.mark.parametrize("use_lap", [True, False])
def test_matches_respect_the_limit(use_lap):
    cost = np.array([[0.1, 0.9, 0.9], [0.9, 0.95, 0.2]])
    result = linear_assignment(cost, 0.5, use_lap=use_lap)
    assert result.matches.tolist() == [[0, 0], [1, 2]]
    assert result.unmatched_rows.tolist() == []
    assert result.unmatched_cols.tolist() == [1]


@pytest.mark.parametrize("use_lap", [True, False])
def test_empty_problems(use_lap):
    for shape in [(0, 3), (2, 0), (0, 0)]:
        result = linear_assignment(np.zeros(shape), 0.5, use_lap=use_lap)
        assert result.matches.shape == (0, 2)
        assert result.unmatched_rows.tolist() == list(range(shape[0]))
        assert result.unmatched_cols.tolist() == list(range(shape[1]))


def test_lap_and_scipy_agree_on_random_problems():
    rng = np.random.default_rng(0)
    for _ in range(50):
        cost = rng.random((rng.integers(1, 8), rng.integers(1, 8)))
        a = linear_assignment(cost, 0.6, use_lap=True)
        b = linear_assignment(cost, 0.6, use_lap=False)
        total = [
            cost[r.matches[:, 0], r.matches[:, 1]].sum() + 0.6 * len(r.unmatched_rows)
            for r in (a, b)
        ]
        assert np.isclose(total[0], total[1])
        assert np.all(cost[a.matches[:, 0], a.matches[:, 1]] <= 0.6)


def test_a_worse_pair_is_not_forced_to_match_everything():
    # Matching both rows would cost 0.45 + 0.45; leaving one pair out is cheaper with limit 0.5.
    cost = np.array([[0.1, 0.45], [0.45, 2.0]])
    result = linear_assignment(cost, 0.5)
    assert result.matches.tolist() == [[0, 0]]
