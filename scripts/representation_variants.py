"""Which Hoyer / adjR reading of Table 3 is closest to the paper's values, from trained runs.

    python scripts/representation_variants.py results/tables2_3/paper/*_seed0 [--data-dir DIR]

Each run folder needs its model.pt. A run is compared with the paper's Table 3 row
of the same objective and beta (K = 256 runs) or, for K = 2, with Fig. 2's caption.
Prints one line per run, then each reading ranked by its mean distance to the paper.
"""

from __future__ import annotations

import argparse
import math
import sys

from vimax.errors import VimaxError
from vimax.evaluate.representation_variants import closest_variants, run_variants
from vimax.report import paper


def paper_values(ours: dict) -> dict[str, float] | None:
    """The paper's Table 3 (K = 256) or Fig. 2 (K = 2) values for a run like ``ours``."""
    rows = paper.FIG2 if ours["latent_dim"] == 2 else paper.TABLE3
    for row in rows:
        same_beta = row.beta is None or (ours["beta"] is not None and math.isclose(row.beta, ours["beta"]))
        if row.objective == ours["objective"] and same_beta:
            return row.values
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="trained run folders (with model.pt)")
    parser.add_argument("--data-dir", help="folder with the data files (default: each run's own)")
    args = parser.parse_args(argv)
    pairs = []
    for run in args.runs:
        try:
            ours = run_variants(run, args.data_dir)
        except VimaxError as error:
            print(f"{run}: skipped: {error}", file=sys.stderr)
            continue
        values = paper_values(ours)
        cells = ", ".join(f"{key} {ours[key]:.3f}" for key in ours if key.startswith(("hoyer", "ari", "clu")))
        print(f"{run}: {ours['objective']} beta={ours['beta']}: {cells}; paper {values}")
        if values is not None:
            pairs.append((ours, values))
    if not pairs:
        print("no run matches a row of the paper's Table 3 or Fig. 2", file=sys.stderr)
        return 1
    for paper_key, table in closest_variants(pairs).items():
        print(f"\npaper '{paper_key}', closest first ({len(pairs)} runs):")
        for entry in table:
            print(f"  {entry['variant']:<18} mean |ours - paper| = {entry['mean_abs_difference']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
