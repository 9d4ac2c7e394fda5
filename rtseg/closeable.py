"""The ``with`` block of objects that hold something open until closed (sources, writers)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import TypeVar

ClosingT = TypeVar("ClosingT", bound="Closeable")


class Closeable(ABC):
    """Usable in ``with``: the block gets the object itself and :meth:`close` runs on leaving
    it, however it is left."""

    @abstractmethod
    def close(self) -> None:
        """Release what the object holds."""

    def __enter__(self: ClosingT) -> ClosingT:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
