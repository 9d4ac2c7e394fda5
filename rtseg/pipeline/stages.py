"""Stage threads and the stop-aware queues between them.

Every blocking wait polls a shared stop event, so no stage can hang once the pipeline is
stopping. A stage that fails does not throw away the frames already past it: the first
exception is kept, the failed stage closes its inbox (the stages before it stop feeding it) and
sends ``END`` down its outbox, so the stages after it finish what they already hold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from rtseg.errors import RtsegError
from rtseg.handover import Handover

END = object()  # end-of-input marker passed down the stages


class StageError(RuntimeError):
    """An unexpected exception in a pipeline stage; the original is ``__cause__``."""

    def __init__(self, stage: str, error: BaseException) -> None:
        lines = str(error).strip().splitlines()
        detail = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
        super().__init__(f"{stage} failed: {detail}")
        self.stage = stage
        self.error = error

    def __reduce__(self) -> tuple[type[StageError], tuple[str, BaseException]]:
        """Pickle with both arguments (results of Ray actors travel pickled)."""
        return type(self), (self.stage, self.error)


def stage_failure(stage: str, error: BaseException) -> BaseException:
    """How a stage's failure is reported: ``RtsegError`` (one line the user can act on),
    ``StageError`` and ``KeyboardInterrupt`` as they are, anything else as a StageError."""
    if isinstance(error, RtsegError | StageError) or not isinstance(error, Exception):
        return error
    failure = StageError(stage, error)
    failure.__cause__ = error
    return failure


class Control:
    """Shared stop event plus the first failure of any stage.

    :meth:`stop` ends every stage now (user stop, Ctrl-C, shutdown); :meth:`fail` only records
    the failure: the stages drain what they hold (see the module docstring).
    """

    def __init__(self) -> None:
        self.stop_event = threading.Event()
        self.failure: tuple[str, BaseException] | None = None
        self._lock = threading.Lock()

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def stop(self) -> None:
        self.stop_event.set()

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def fail(self, stage: str, error: BaseException) -> None:
        """Record ``error`` unless an earlier stage already failed."""
        with self._lock:
            if self.failure is None:
                self.failure = (stage, error)


class Channel(Handover[Any]):
    """Bounded queue from one stage to the next, ending its waits when the pipeline stops.

    ``latest_only`` (live sources) never blocks the producer: a full channel drops its stale
    item and counts it in ``dropped``. Otherwise ``put`` waits for room (back-pressure).
    :meth:`close` (the consumer failed) makes ``put`` give up.
    """

    def __init__(self, control: Control, size: int, latest_only: bool = False) -> None:
        super().__init__(1 if latest_only else size, stop=control.stop_event)
        self._latest_only = latest_only

    def put(self, item: Any) -> bool:
        """Hand ``item`` on; False when the pipeline stopped or the channel closed first."""
        if self._latest_only and item is not END:
            return self.offer(item)
        return super().put(item)


class Stage(threading.Thread):
    """A daemon thread running ``body``; an exception is recorded in ``control``, not lost.

    After a failure the stage closes ``inbox`` (its producers stop) and passes ``END`` down
    ``outbox``, so what the later stages already hold still reaches the sinks.
    """

    def __init__(
        self,
        name: str,
        body: Callable[[], None],
        control: Control,
        inbox: Channel | Lanes | None = None,
        outbox: Channel | Lanes | None = None,
    ) -> None:
        super().__init__(name=f"rtseg-{name}", daemon=True)
        self.stage = name
        self._body = body
        self._control = control
        self._inbox = inbox
        self._outbox = outbox

    def run(self) -> None:
        try:
            self._body()
        except BaseException as error:  # handed to the caller of Pipeline.run
            self._control.fail(self.stage, error)
            if self._inbox is not None:
                self._inbox.close()
            if self._outbox is not None:
                self._outbox.put(END)


class Lanes:
    """Parallel channels used in turn, for stages run by several threads at once.

    Item k goes to lane ``k % n`` and is taken back from the same lane, so items leave in the
    order they came in however the lanes' threads interleave. ``END`` goes down every lane.
    """

    def __init__(self, channels: list[Channel]) -> None:
        self.channels = channels
        self._put_at = 0
        self._get_at = 0

    @property
    def dropped(self) -> int:
        return sum(channel.dropped for channel in self.channels)

    def close(self) -> None:
        for channel in self.channels:
            channel.close()

    def put(self, item: Any) -> bool:
        if item is END:
            return all([channel.put(END) for channel in self.channels])
        lane, self._put_at = self._put_at, (self._put_at + 1) % len(self.channels)
        return self.channels[lane].put(item)

    def get(self) -> Any:
        lane, self._get_at = self._get_at, (self._get_at + 1) % len(self.channels)
        return self.channels[lane].get()
