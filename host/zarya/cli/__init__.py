"""The `zarya` command: one entry point, a subcommand per job.

Each subcommand lives in its own module here and provides `add_parser(subparsers)`, which
registers its arguments and sets `run(args) -> int` as the handler.

What the user can fix (a ZaryaError, an OSError) is printed as one line, `zarya CMD: error: ...`,
with exit status 1; Ctrl-C prints `zarya CMD: interrupted` and exits 130 (128 + SIGINT), after the
command's own cleanup (simulated boards stopped, files closed) has run.
"""

from __future__ import annotations

import argparse
import sys

from zarya import __version__
from zarya.cli import dose, flash, hil, link, mission, plan, sim
from zarya.errors import ZaryaError

COMMANDS = [dose, plan, sim, link, hil, flash, mission]


class Parser(argparse.ArgumentParser):
    """Usage errors on one line, like every other error (subcommands' parsers are of this class too)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="zarya", description="Zarya flight-software tools.")
    parser.add_argument("--version", action="version", version=f"zarya {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stderr.close()
        return 0
    except (ZaryaError, OSError) as err:  # what the user can fix: one line, no traceback
        print(f"zarya {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: the `with` blocks and `finally`s have already cleaned up
        print(f"zarya {args.command}: interrupted", file=sys.stderr)
        return 130
