"""``python -m benchmarks.compare FIRST.json SECOND.json``: do two benchmark runs agree?

Issue 16 asks that two runs in a row on a quiet machine agree within 3 points on
every fraction. This reads two ``python -m benchmarks.bench --json`` outputs and
prints every training fraction of both (in points: % of the bound, % overhead,
x100 for vimax/plain), their difference, and whether all agree within
``--points`` (default 3). Exit code 0 when they agree, 1 when they do not, 2 on
bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.targets import AGREEMENT_POINTS, fractions

__all__ = ["main", "compare"]


def _load(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
        fractions(data)  # checks that it holds the training figures
        return data
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValueError(f"{path} is not the JSON of python -m benchmarks.bench --json") from None


def compare(first: dict[str, Any], second: dict[str, Any],
            points: float = AGREEMENT_POINTS) -> dict[str, Any]:
    """The fractions both runs have, each with both values and the difference (second - first)."""
    a, b = fractions(first), fractions(second)
    rows = [{"fraction": name, "first": a[name], "second": b[name], "difference": b[name] - a[name]}
            for name in a if name in b]
    largest = max((abs(row["difference"]) for row in rows), default=0.0)
    return {"rows": rows, "largest_difference": largest, "points": points, "agree": largest <= points}


def _table(result: dict[str, Any], first: str, second: str) -> str:
    lines = [f"{'fraction (points)':<36}{'first':>9}{'second':>9}{'diff':>8}"]
    for row in result["rows"]:
        flag = "" if abs(row["difference"]) <= result["points"] else "  > " + f"{result['points']:g}"
        lines.append(f"{row['fraction']:<36}{row['first']:>9.1f}{row['second']:>9.1f}"
                     f"{row['difference']:>+8.1f}{flag}")
    verdict = "agree" if result["agree"] else "do not agree"
    lines.append(f"{first} and {second} {verdict} within {result['points']:g} points "
                 f"(largest difference {result['largest_difference']:.1f})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--points", type=float, default=AGREEMENT_POINTS,
                        help=f"largest difference allowed (default {AGREEMENT_POINTS:g})")
    args = parser.parse_args(argv)
    try:
        first, second = _load(args.first), _load(args.second)
    except ValueError as error:
        print(f"compare: error: {error}", file=sys.stderr)
        return 2
    result = compare(first, second, args.points)
    print(_table(result, args.first, args.second))
    return 0 if result["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
