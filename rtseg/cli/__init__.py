"""The ``rtseg`` command: ``run``, ``info`` and ``quantize``.

The command line only parses: :mod:`.parser` holds the flags, :mod:`.run` turns them into a
:class:`~rtseg.app.RunPlan` for :class:`~rtseg.app.Runner`, :mod:`.commands` dispatches and
turns errors into one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from rtseg.cli.commands import run_cli


def main(argv: Sequence[str] | None = None) -> int:
    """The ``rtseg`` console script and ``python -m rtseg``."""
    return run_cli(argv)
