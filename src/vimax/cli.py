"""The vimax command: train | demo | evaluate | sweep | report.

Library code logs; this module prints. Any user error ends with one line on
stderr and exit code 2. ``--import MODULE`` (before or after the command, any
number of times) imports your own module first, so the datasets, trunks and
objectives it registers can be named like the built-in ones.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from vimax.errors import VimaxError
from vimax.version import __version__

__all__ = ["main"]

# name -> (help, module); each module has add_arguments(parser) and run(args) -> int
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("train one run into a run folder", "vimax.commands.train"),
    "demo": ("train deterministic, VIB and VIM on the embedded digits and compare",
             "vimax.commands.demo"),
    "evaluate": ("evaluate a finished run: accuracy, robustness, representation",
                 "vimax.commands.evaluate"),
    "sweep": ("run a grid of runs from a config, resumably", "vimax.commands.sweep"),
    "report": ("write REPORT.md from saved results", "vimax.commands.report"),
}


def add_import_option(parser: argparse.ArgumentParser, default: object = None) -> None:
    parser.add_argument("--import", dest="imports", action="append", default=default, metavar="MODULE",
                        help="import this module (a name or a .py file) first: the datasets, trunks and "
                             "objectives it registers can then be named (repeatable)")


def _imports_in(argv: Sequence[str]) -> list[str]:
    """The ``--import`` values anywhere in ``argv`` (read before the parser exists, so that the
    modules' registrations show up as its choices)."""
    scan = ArgumentParser(prog="vimax", add_help=False, allow_abbrev=False)
    scan.add_argument("--import", dest="imports", action="append", default=[])
    known, _ = scan.parse_known_args(list(argv))
    return known.imports


class ArgumentParser(argparse.ArgumentParser):
    """argparse, except that a usage error is one line, like every other user error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"vimax: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="vimax", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"vimax {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    add_import_option(parser, default=[])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, module_name) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue  # a command whose module is not written yet
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        add_import_option(sub, default=argparse.SUPPRESS)  # also after the command; read by _imports_in
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from vimax.extras import require_tool
    from vimax.user_modules import import_modules

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        require_tool()
        import_modules(_imports_in(argv))
    except VimaxError as error:
        print(f"vimax: error: {error}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    try:
        return int(args.run(args) or 0)
    except VimaxError as error:
        print(f"vimax: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vimax: interrupted; finished epochs are kept (resume with --resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
