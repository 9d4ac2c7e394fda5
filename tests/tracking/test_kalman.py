"""Vectorised constant-velocity Kalman filter."""

from __future__ import annotations

import numpy as np

from rtseg.tracking import kalman


def test_box_conversions_round_trip():
    xyxy = np.array([[10.0, 20.0, 50.0, 100.0], [0.0, 0.0, 1.0, 2.0]])
    cxcywh = kalman.xyxy_to_cxcywh(xyxy)
    assert cxcywh.tolist() == [[30.0, 60.0, 40.0, 80.0], [0.5, 1.0, 1.0, 2.0]]
    assert np.allclose(kalman.cxcywh_to_xyxy(cxcywh), xyxy)


def test_initiate_starts_still_with_symmetric_covariance():
    mean, cov = kalman.initiate(np.array([[30.0, 60.0, 40.0, 80.0]]))
    assert mean.tolist() == [[30.0, 60.0, 40.0, 80.0, 0, 0, 0, 0]]
    assert cov.shape == (1, 8, 8) and np.allclose(cov, cov.transpose(0, 2, 1))
    assert np.all(np.diag(cov[0]) > 0)


def test_multi_step_predict_equals_repeated_single_steps():
    mean, cov = kalman.initiate(np.array([[30.0, 60.0, 40.0, 80.0], [5.0, 5.0, 10.0, 10.0]]))
    mean[:, 4:6] = [[2.0, -1.0], [0.5, 0.0]]  # no size velocity: noise scale stays constant
    jumped = kalman.predict(mean, cov, 7)
    stepped = (mean, cov)
    for _ in range(7):
        stepped = kalman.predict(*stepped, 1)
    assert np.allclose(jumped[0], stepped[0]) and np.allclose(jumped[1], stepped[1])
    assert jumped[0][:, :2].tolist() == [[44.0, 53.0], [8.5, 5.0]]


def test_per_track_steps():
    mean, cov = kalman.initiate(np.array([[0.0, 0.0, 10.0, 10.0]] * 2))
    mean[:, 4] = 1.0
    moved, _ = kalman.predict(mean, cov, np.array([1, 5]))
    assert moved[:, 0].tolist() == [1.0, 5.0]


def test_updates_learn_a_constant_velocity():
    mean, cov = kalman.initiate(np.array([[0.0, 0.0, 20.0, 40.0]]))
    for t in range(1, 40):
        mean, cov = kalman.predict(mean, cov, 1)
        mean, cov = kalman.update(mean, cov, np.array([[3.0 * t, -1.0 * t, 20.0, 40.0]]))
    assert np.allclose(mean[0, 4:6], [3.0, -1.0], atol=0.05)
    assert np.allclose(mean[0, :2], [117.0, -39.0], atol=0.5)
    assert np.allclose(cov, cov.transpose(0, 2, 1))


def test_update_shrinks_uncertainty():
    mean, cov = kalman.initiate(np.array([[0.0, 0.0, 20.0, 40.0]]))
    mean, cov = kalman.predict(mean, cov, 1)
    _, updated = kalman.update(mean, cov, np.array([[1.0, 1.0, 20.0, 40.0]]))
    assert np.all(np.diag(updated[0]) < np.diag(cov[0]))
