"""Dispatch of the ``rtseg`` subcommands; every error the user can fix is one ``rtseg: error:``
line, a failed stage exits 1 and Ctrl-C 130."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from rtseg.cli.analyze import analyze_command
from rtseg.cli.info import info_command
from rtseg.cli.logs import configure_logging
from rtseg.cli.parser import build_parser
from rtseg.cli.quantize import quantize_command
from rtseg.cli.run import run_command
from rtseg.errors import EXIT_FAILURE, RtsegError
from rtseg.pipeline import StageError

log = logging.getLogger("rtseg")

EXIT_USAGE = 2  # user-fixable problems, as argparse uses for bad flags
EXIT_INTERRUPTED = 130


def run_cli(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    commands = {
        "run": run_command,
        "info": info_command,
        "quantize": quantize_command,
        "analyze": analyze_command,
    }
    try:
        return commands[args.command](args)
    except RtsegError as error:
        log.debug("details", exc_info=error)
        print(f"rtseg: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except StageError as error:
        log.debug("details", exc_info=error)
        print(f"rtseg: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("rtseg: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
