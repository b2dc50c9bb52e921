"""Sweeps: grids of runs from a sweep file, run resumably on a local pool or Ray Tune.

A sweep file names a base run config, profiles (``paper``, ``cpu``) and a grid
of variants with optional cartesian axes; :func:`expand` turns it into
:class:`RunSpec` s, :func:`pending_runs` drops the finished ones and
:func:`run_sweep` runs the rest with :func:`execute_run`, the one per-run
function of every backend.
"""

from vimax.sweep.grid import RunSpec, expand
from vimax.sweep.plan import BACKENDS, pending_runs, run_sweep
from vimax.sweep.records import read_records
from vimax.sweep.runner import check_evaluation, execute_run, is_finished, run_status
from vimax.sweep.sweep_file import SweepFile, Variant, load_sweep, parse_sweep

__all__ = [
    "BACKENDS",
    "RunSpec",
    "SweepFile",
    "Variant",
    "check_evaluation",
    "execute_run",
    "expand",
    "is_finished",
    "load_sweep",
    "parse_sweep",
    "pending_runs",
    "read_records",
    "run_status",
    "run_sweep",
]
