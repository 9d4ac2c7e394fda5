"""Constant-velocity Kalman filter over all tracks at once.

State per track: ``[cx, cy, w, h, vx, vy, vw, vh]``; measurement: ``[cx, cy, w, h]``.
Every function takes stacked arrays (``mean`` of shape (N, 8), ``cov`` of shape (N, 8, 8)) so
one call serves every track: no per-track objects, no Python loops. Noise scales with box size
(the ByteTrack/BoT-SORT convention), so small and large objects are treated alike.
"""

from __future__ import annotations

import numpy as np

STD_POSITION = 1.0 / 20.0
STD_VELOCITY = 1.0 / 160.0
MIN_SIZE = 1.0


def xyxy_to_cxcywh(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) corner boxes -> (N, 4) centre/size boxes."""
    boxes = np.asarray(boxes, dtype=np.float64)
    size = boxes[:, 2:] - boxes[:, :2]
    return np.hstack([boxes[:, :2] + size / 2.0, size])


def cxcywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) centre/size boxes -> (N, 4) corner boxes."""
    half = boxes[:, 2:] / 2.0
    return np.hstack([boxes[:, :2] - half, boxes[:, :2] + half])


def _size_scale(mean: np.ndarray) -> np.ndarray:
    """(N, 4) per-component scale ``[w, h, w, h]`` used to size the noise."""
    wh = np.maximum(mean[:, 2:4], MIN_SIZE)
    return np.hstack([wh, wh])


def initiate(measurements: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start tracks at ``measurements`` (N, 4 cxcywh) with zero velocity and wide uncertainty."""
    n = len(measurements)
    mean = np.hstack([measurements, np.zeros((n, 4))])
    scale = _size_scale(mean)
    std = np.hstack([2.0 * STD_POSITION * scale, 10.0 * STD_VELOCITY * scale])
    cov = np.zeros((n, 8, 8))
    cov[:, np.arange(8), np.arange(8)] = std**2
    return mean, cov


def predict(
    mean: np.ndarray, cov: np.ndarray, steps: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray]:
    """Advance every track by ``steps`` frames (scalar or (N,) ints >= 1) in one closed-form step.

    For ``k`` steps of the discrete model ``x' = F x + w`` the transition is ``F^k`` (velocity
    times ``k``) and the accumulated process noise is ``sum_i F^i Q F^i.T``, which has the closed
    form used below, so a long stream gap costs the same as one frame.
    """
    n = len(mean)
    k = np.broadcast_to(np.asarray(steps, dtype=np.float64), (n,))
    scale = _size_scale(mean)
    q_pos = (STD_POSITION * scale) ** 2
    q_vel = (STD_VELOCITY * scale) ** 2
    sum_i = k * (k - 1.0) / 2.0
    sum_i2 = (k - 1.0) * k * (2.0 * k - 1.0) / 6.0

    transition = np.tile(np.eye(8), (n, 1, 1))
    transition[:, np.arange(4), np.arange(4) + 4] = k[:, None]
    noise = np.zeros((n, 8, 8))
    diag = np.arange(4)
    noise[:, diag, diag] = k[:, None] * q_pos + sum_i2[:, None] * q_vel
    noise[:, diag, diag + 4] = sum_i[:, None] * q_vel
    noise[:, diag + 4, diag] = sum_i[:, None] * q_vel
    noise[:, diag + 4, diag + 4] = k[:, None] * q_vel

    new_mean = mean.copy()
    new_mean[:, :4] += k[:, None] * mean[:, 4:]
    new_mean[:, 2:4] = np.maximum(new_mean[:, 2:4], MIN_SIZE)
    new_cov = transition @ cov @ transition.transpose(0, 2, 1) + noise
    return new_mean, new_cov


def update(
    mean: np.ndarray, cov: np.ndarray, measurements: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Correct tracks with their matched ``measurements`` (N, 4 cxcywh)."""
    measurement_var = (STD_POSITION * _size_scale(mean)) ** 2
    innovation_cov = cov[:, :4, :4].copy()
    innovation_cov[:, np.arange(4), np.arange(4)] += measurement_var
    # Kalman gain K = P H^T S^-1; S is symmetric so K^T = S^-1 H P.
    gain = np.linalg.solve(innovation_cov, cov[:, :4, :]).transpose(0, 2, 1)
    innovation = measurements - mean[:, :4]
    new_mean = mean + (gain @ innovation[:, :, None])[:, :, 0]
    new_mean[:, 2:4] = np.maximum(new_mean[:, 2:4], MIN_SIZE)
    new_cov = cov - gain @ cov[:, :4, :]
    return new_mean, new_cov
