"""``vimax report``: write REPORT.md, and a SUMMARY.md per sweep, from saved results (nothing is trained)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", help="results folder of the sweeps, holding <sweep>/<profile>/<run id>/ "
                                        "(e.g. results)")
    parser.add_argument("--out", help="report to write (default: RESULTS/REPORT.md); its figures and each "
                                      "sweep's <sweep>/<profile>/SUMMARY.md go beside it")
    parser.add_argument("--profile", help="profile to report (default: every profile of your sweeps; for "
                        "the paper's sweeps, the only one in RESULTS besides `paper`, whose runs get a "
                        "section of their own)")
    parser.add_argument("--pending", action="store_true",
                        help="write nothing; print the ids of the CIFAR-10 runs (configs/cifar10.yaml, "
                             "profile cpu) the report's claims still wait for, one per line, for "
                             "`vimax sweep ... --match`")


def run(args: argparse.Namespace) -> int:
    if args.pending:
        return _print_pending(args.results)
    from vimax.report import write_report

    path = write_report(args.results, args.out, args.profile)
    print(f"wrote {path}")
    return 0


def _print_pending(results: str) -> int:
    """Issue 13's plan, what is left of it: the runs' ids in the plan's order (nothing when all ran)."""
    from pathlib import Path

    from vimax.errors import VimaxError
    from vimax.report import collect
    from vimax.report.cifar_claims import pending_points
    from vimax.report.cifar_plan import PLAN_PROFILE, run_id

    if not Path(results).is_dir():
        raise VimaxError(f"results folder {results} does not exist")
    for point in pending_points(collect(results, PLAN_PROFILE)):
        print(run_id(point))
    return 0
