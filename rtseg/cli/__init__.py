"""The ``rtseg`` command: ``run``, ``info`` and ``quantize``.

The command line only parses: :mod:`.parser` holds the flags, :mod:`.run` turns them into a
:class:`~rtseg.app.RunPlan` for :class:`~rtseg.app.Runner`, :mod:`.commands` dispatches and
turns errors into one line. :func:`main` first sets the process up (:mod:`.lean`), so it
imports nothing heavy at the top.
"""

from __future__ import annotations

from collections.abc import Sequence

from rtseg.cli.lean import defer_unused_imports


def main(argv: Sequence[str] | None = None) -> int:
    """The ``rtseg`` console script and ``python -m rtseg``."""
    defer_unused_imports()
    from rtseg.cli.commands import run_cli  # imports supervision, so after the deferral

    return run_cli(argv)
