"""The benchmark's command line: ``python -m benchmarks.bench`` from the root of a clone.

Prints a table (or, with ``--json``, the same figures as JSON) on stdout;
progress goes to stderr. What is measured: ``benchmarks/README.md``. A usage
error or bad input is one line on stderr and exit code 2. The benchmark lives
beside the library, not in it: ``vimax`` never imports it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from benchmarks.config import BenchConfig
from benchmarks.suite import run_bench
from benchmarks.table import format_table
from vimax.errors import VimaxError

__all__ = ["main", "build_parser", "config_from_args"]

PROG = "python -m benchmarks.bench"


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def thread_counts(text: str) -> tuple[int, ...]:
    """``2`` or ``1,2``: distinct counts >= 1."""
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or a list N,M,..., got {text!r}") from None
    if any(n < 1 for n in counts) or len(set(counts)) != len(counts):
        raise argparse.ArgumentTypeError(f"thread counts must be distinct and >= 1, got {text!r}")
    return counts


class ArgumentParser(argparse.ArgumentParser):
    """argparse, except that a usage error is one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"bench: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    default = BenchConfig()
    parser = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quick", action="store_true",
                        help="tiny step counts, for a smoke run (the figures mean nothing)")
    parser.add_argument("--threads", type=thread_counts,
                        help="torch intra-op threads, e.g. 1 or 2 (default: torch's own); a list such as 1,2 "
                             "measures the MLP training at each (issue 16's targets), the rest at the first")
    parser.add_argument("--clock", choices=("wall", "cpu"),
                        help="wall: elapsed time (default); cpu: the process's CPU time, for a machine "
                             "shared with other work (needs --threads 1)")
    parser.add_argument("--steps", type=positive_int,
                        help=f"MLP training steps per repeat (default {default.steps})")
    parser.add_argument("--cnn-steps", type=positive_int,
                        help=f"CNN training steps per repeat (default {default.cnn_steps})")
    parser.add_argument("--repeats", type=positive_int,
                        help=f"interleaved repeats of the training timings (default {default.repeats}); "
                             "medians reported")
    parser.add_argument("--data-dir", help="folder with mnist.npz (default: $VIMAX_DATA, then the cache)")
    parser.add_argument("--skip-cnn", action="store_true", help="leave out the CIFAR-10 CNN")
    parser.add_argument("--skip-memory", action="store_true", help="leave out the peak-memory run")
    parser.add_argument("--compile", action="store_true",
                        help="also time the vimax loop with train.compile on: compile seconds and the "
                             "compiled/eager speed per objective")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return parser


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    config = BenchConfig().quick() if args.quick else BenchConfig()
    for name in ("steps", "cnn_steps", "repeats", "threads", "clock", "data_dir"):
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    config.skip_cnn, config.skip_memory, config.compile = args.skip_cnn, args.skip_memory, args.compile
    return config.validate()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s",
                        stream=sys.stderr)
    try:
        results = run_bench(config_from_args(args))
    except VimaxError as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
