import threading

import cv2
import numpy as np

from rtseg.serve.frames import FrameHub


def image(value: int) -> np.ndarray:
    return np.full((32, 32, 3), value, dtype=np.uint8)


def decoded_value(jpeg: bytes) -> float:
    return float(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).mean())


def test_nothing_before_the_first_frame():
    hub = FrameHub()
    assert hub.next_jpeg(0, timeout=0) is None


def test_a_late_viewer_gets_only_the_newest_frame():
    hub = FrameHub()
    for value in (10, 20, 200):
        hub.publish(image(value))
    seq, jpeg = hub.next_jpeg(0, timeout=0)
    assert seq == 3
    assert abs(decoded_value(jpeg) - 200) < 3


def test_one_encode_per_frame_shared_by_viewers():
    hub = FrameHub()
    hub.publish(image(50))
    first = hub.next_jpeg(0, timeout=0)
    second = hub.next_jpeg(0, timeout=0)
    assert first[0] == second[0] == 1
    assert first[1] is second[1]


def test_timeout_repeats_the_current_frame():
    hub = FrameHub()
    hub.publish(image(50))
    assert hub.next_jpeg(1, timeout=0)[0] == 1


def test_close_wakes_a_waiting_viewer():
    hub = FrameHub()
    results = []
    viewer = threading.Thread(target=lambda: results.append(hub.next_jpeg(0)))
    viewer.start()
    hub.close()
    viewer.join(timeout=10)
    assert not viewer.is_alive() and results == [None] and hub.closed


def test_viewer_count():
    hub = FrameHub()
    with hub.viewer(), hub.viewer():
        assert hub.viewers == 2
    assert hub.viewers == 0
