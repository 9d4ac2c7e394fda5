"""draw_status: a panel in the top-left corner, nothing else touched."""

from __future__ import annotations

import numpy as np

from rtseg.annotate import draw_status


def test_status_panel_only_touches_the_corner():
    scene = np.full((200, 300, 3), 200, dtype=np.uint8)
    assert draw_status(scene, ["12.3 fps", "latency 81 ms"]) is scene
    assert (scene[2, 2] == 100).all()  # darkened panel
    assert (scene[:60, :120] == 255).any()  # white text
    assert (scene[80:] == 200).all() and (scene[:, 150:] == 200).all()


def test_no_lines_no_change():
    scene = np.full((20, 30, 3), 7, dtype=np.uint8)
    assert (draw_status(scene, []) == 7).all()
