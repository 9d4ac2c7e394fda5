"""A user's script, for tests/app/test_api_ctrl_c.py: a loop over
``rtseg.track(..., device="openvino")`` that prints each frame's index until Ctrl-C ends it, in
a process where OpenVINO has run before: a ``Segmenter`` made on the main thread and left in a
reference cycle, which the garbage collector frees during the loop on another thread (it runs on
whichever thread happens to allocate, a pipeline thread as likely as any).

``python track_until_ctrl_c.py MODEL CLIP OUT.mp4 OUT.jsonl``
"""

from __future__ import annotations

import gc
import sys
import threading

import numpy as np

import rtseg
from rtseg import Segmenter


def openvino_ran_before(model: str) -> None:
    """OpenVINO runs a frame on this thread; its objects become cyclic garbage."""
    segmenter = Segmenter(model, device="openvino")
    segmenter(np.zeros((540, 960, 3), np.uint8))
    cycle: list[object] = [segmenter]
    cycle.append(cycle)


def main() -> None:
    model, clip, video, jsonl = sys.argv[1:5]
    gc.disable()  # so that the collection off the main thread below is the one that frees it
    openvino_ran_before(model)
    for result in rtseg.track(clip, model=model, device="openvino", output=video, jsonl=jsonl):
        if result.frame.index == 0:
            collector = threading.Thread(target=gc.collect)
            collector.start()
            collector.join()
            gc.enable()
        print(result.frame.index, flush=True)


if __name__ == "__main__":
    main()
