"""Footpoints and overlap shares of all masks at once, against the same rules applied to each
dense mask pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest

from rtseg.analytics.geometry import FOOT_SHARE, ZoneRasters, footpoints, polygon_crop
from rtseg.masks import column_runs
from tests.test_masks import random_masks

FRAME = (90, 120)


def footpoint_of(mask: np.ndarray) -> tuple[float, float]:
    """The centre of the mask's lowest FOOT_SHARE of rows (>= 1), at their bottom edge."""
    rows = np.flatnonzero(mask.any(axis=1))
    top, bottom = rows[0], rows[-1]
    depth = max(1, round(FOOT_SHARE * (bottom - top + 1)))
    band = mask[bottom - depth + 1 : bottom + 1]
    columns = np.nonzero(band)[1]
    return float(columns.mean()) + 0.5, float(bottom + 1)


@pytest.mark.parametrize("seed", range(5))
def test_footpoints_are_each_masks_lowest_rows_centre(seed: int) -> None:
    masks = random_masks(seed, frame=FRAME)
    xyxy = np.array([[0, 0, 119, 89]] * len(masks), dtype=np.float64)
    feet = footpoints(xyxy, column_runs(masks, xyxy))
    for mask, foot in zip(masks, feet, strict=True):
        expected = footpoint_of(mask) if mask.any() else (59.5, 89.0)  # box bottom centre
        np.testing.assert_allclose(foot, expected, atol=1e-9)


def test_footpoints_without_masks_are_box_bottom_centres() -> None:
    feet = footpoints(np.array([[10, 20, 30, 60]]), None)
    np.testing.assert_array_equal(feet, [[20, 60]])


@pytest.mark.parametrize("seed", range(5))
def test_shares_inside_zones_are_pixel_counts(seed: int) -> None:
    masks = random_masks(seed, frame=FRAME)
    xyxy = np.array([[0, 0, 119, 89]] * len(masks), dtype=np.float64)
    rng = np.random.default_rng(seed)
    zones = [
        rng.uniform([-20, -20], [140, 110], size=(5, 2)),  # may reach past the frame
        np.array([[10.3, 5.2], [80.7, 12.1], [60.4, 70.9], [5.5, 50.0]]),
        np.array([[200.0, 10.0], [260.0, 10.0], [230.0, 40.0]]),  # off the frame
    ]
    rasters, runs = ZoneRasters(zones, FRAME[1], FRAME[0]), column_runs(masks, xyxy)
    shares = rasters.shares(runs)
    wanted = np.arange(len(masks)) % 2 == 0
    np.testing.assert_array_equal(rasters.shares(runs, wanted), shares * wanted[:, None])
    for z, polygon in enumerate(zones):
        zone = polygon_crop(polygon, 0, 0, *FRAME)
        for i, mask in enumerate(masks):
            expected = (mask & zone).sum() / mask.sum() if mask.any() else 0.0
            assert shares[i, z] == pytest.approx(expected, abs=1e-12)
