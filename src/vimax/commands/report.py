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


def run(args: argparse.Namespace) -> int:
    from vimax.report import write_report

    path = write_report(args.results, args.out, args.profile)
    print(f"wrote {path}")
    return 0
