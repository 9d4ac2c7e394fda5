"""The one thread hand-over: back-pressure, newest-only, and waits that end on stop or close."""

from __future__ import annotations

import threading

import numpy as np

from rtseg.handover import Handover


def test_offer_keeps_only_the_newest_and_counts_what_it_replaced():
    latest: Handover[np.ndarray] = Handover()
    assert latest.take() is None
    images = [np.full((2, 2, 3), value, np.uint8) for value in range(3)]
    for image in images:
        assert latest.offer(image)
    assert latest.take() is images[-1]
    assert latest.take() is None
    assert latest.dropped == 2


def test_put_waits_for_room_and_delivers_every_item_in_order():
    handover: Handover[int] = Handover(size=2)
    taken: list[int] = []

    def consume() -> None:
        while (item := handover.get()) is not None:
            taken.append(item)

    consumer = threading.Thread(target=consume)
    consumer.start()
    assert all(handover.put(i) for i in range(50))
    handover.close()
    consumer.join(5)
    assert taken == list(range(50)) and handover.dropped == 0


def test_a_stop_ends_a_waiting_put_and_get():
    stop = threading.Event()
    handover: Handover[int] = Handover(size=1, stop=stop)
    assert handover.put(1)
    results: list[object] = []
    producer = threading.Thread(target=lambda: results.append(handover.put(2)))
    producer.start()
    producer.join(0.3)
    assert producer.is_alive()  # full: the put waits
    stop.set()
    producer.join(5)
    assert results == [False]
    assert handover.get() is None  # stopped: nothing more comes out


def test_close_refuses_new_items_and_lets_the_consumer_drain():
    handover: Handover[int] = Handover(size=3)
    handover.put(1)
    handover.put(2)
    handover.close()
    assert not handover.put(3) and not handover.offer(3)
    assert [handover.get(), handover.get(), handover.get()] == [1, 2, None]


def test_get_gives_up_after_its_timeout():
    handover: Handover[int] = Handover()
    assert handover.get(timeout=0.05) is None
    assert not handover.closed and not handover.stopping
