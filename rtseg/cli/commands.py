"""Dispatch of the ``rtseg`` subcommands; every error the user can fix is one ``rtseg: error:``
line, a failed stage exits 1 and Ctrl-C 130."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from rtseg.cli.analyze import add_parser as add_analyze_parser
from rtseg.cli.analyze import analyze_command
from rtseg.cli.info import info_command
from rtseg.cli.logs import configure_logging
from rtseg.cli.parser import build_parser
from rtseg.cli.quantize import quantize_command
from rtseg.cli.run import EXIT_FAILURE, run_command
from rtseg.errors import RtsegError
from rtseg.pipeline import StageError

log = logging.getLogger("rtseg")

EXIT_USAGE = 2  # user-fixable problems, as argparse uses for bad flags
EXIT_INTERRUPTED = 130


def cli_parser() -> argparse.ArgumentParser:
    """``rtseg``'s parser with the subcommands kept outside :mod:`.parser` added."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands.metavar = "{run,info,quantize,analyze}"
    add_analyze_parser(commands)
    return parser


def run_cli(argv: Sequence[str] | None = None) -> int:
    args = cli_parser().parse_args(argv)
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
