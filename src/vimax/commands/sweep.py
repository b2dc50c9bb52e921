"""``vimax sweep``: run a grid of runs from a sweep file, resumably.

Finished runs are never run again, so an interrupted sweep started again goes
on where it stopped; each run's outcome is in ``<sweep dir>/records/``.
``--evaluate-only`` evaluates the finished runs again from their weights.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from vimax.commands.options import positive_int
from vimax.errors import ConfigError
from vimax.sweep import BACKENDS, check_evaluation, expand, load_sweep, pending_runs, run_status, run_sweep
from vimax.sweep.grid import RunSpec, select_runs
from vimax.sweep.runner import record_if_finished
from vimax.sweep.sweep_file import parse_seeds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="sweep file (e.g. configs/table1.yaml)")
    parser.add_argument("--profile", help="profile of the sweep file (default: cpu, or the implicit one "
                                              "of a file without profiles)")
    parser.add_argument("--seeds", type=positive_int, help="run seeds 0..N-1 (default: the sweep file's)")
    parser.add_argument("--jobs", type=positive_int, default=1, help="runs at a time (default: 1)")
    parser.add_argument("--results", default="results", help="results folder (default: results)")
    parser.add_argument("--backend", choices=BACKENDS, default="local",
                        help="local process pool (default) or Ray Tune (pip install 'vimax[ray]')")
    parser.add_argument("--address", help="with --backend ray: an existing Ray cluster (e.g. auto)")
    parser.add_argument("--only", nargs="+", metavar="VARIANT", help="run only these variants")
    parser.add_argument("--match", nargs="+", metavar="GLOB",
                        help="run only runs whose id matches one of these shell patterns, those of "
                             "the first pattern first (e.g. 'vim_sigma2.5_*' '*')")
    parser.add_argument("--dry-run", action="store_true", help="list the runs and their state; run nothing")
    parser.add_argument("--max-runs", type=positive_int, help="stop after starting N new runs")
    parser.add_argument("--no-evaluate", action="store_true", help="train only; skip the evaluation")
    parser.add_argument("--evaluate-only", action="store_true",
                        help="train nothing: evaluate every trained run again from its model.pt, "
                             "replacing its evaluation.json; runs without weights are listed")
    parser.add_argument("--cross-check", action="store_true",
                        help="evaluations also attack with the second engine and report the agreement "
                             "(e.g. with --evaluate-only --match '*_seed0')")
    parser.add_argument("--retrain-missing", action="store_true",
                        help="with --evaluate-only: train the runs without model.pt again (their "
                             "metrics.json must come out the same) and evaluate them")
    parser.add_argument("--no-reuse", action="store_true",
                        help="train every run, even one whose identical config another sweep finished")
    parser.add_argument("--skip-failed", action="store_true", help="do not retry runs recorded as failed")
    parser.add_argument("--data-dir", help="folder with the data files, for every run")
    parser.add_argument("--device", help="auto, cpu or cuda, for every run")


def build_specs(args: argparse.Namespace) -> list[RunSpec]:
    """The sweep file expanded under the command line's profile, seeds and overrides."""
    sweep = load_sweep(args.config)
    extra: dict[str, Any] = {}
    if args.data_dir:
        extra["data.data_dir"] = str(Path(args.data_dir).resolve())
    if args.device:
        extra["train.device"] = args.device
    seeds = parse_seeds(args.seeds, "--seeds") if args.seeds else None
    results = Path(args.results).resolve()
    above = next((p for p in (results, *results.parents) if p.exists()), None)
    if above is not None and not above.is_dir():
        raise ConfigError(f"--results {args.results}: {above} is not a folder")
    specs = expand(sweep, sweep.profile_or_default(args.profile), results, seeds, args.only, extra,
                   evaluate=not args.no_evaluate)
    if args.match:
        specs = select_runs(specs, args.match)
    for spec in specs:
        spec.reuse_training = not args.no_reuse
        if spec.evaluation is not None and args.device:
            spec.evaluation.setdefault("device", args.device)
        if spec.evaluation is not None and getattr(args, "cross_check", False):
            spec.evaluation["attack_cross_check"] = True
    return specs


def _with_twin(spec: RunSpec, status: str, detail: str) -> tuple[RunSpec, str, str]:
    """A pending run's detail names the finished run of another sweep it will copy."""
    if status == "pending" and spec.reuse_training:
        from vimax.sweep.reuse import find_twin

        twin = find_twin(spec)
        if twin is not None:
            detail = f"training to copy from {twin.relative_to(Path(spec.out_dir).parents[2])}"
    return spec, status, detail


def print_plan(specs: list[RunSpec]) -> None:
    statuses = [_with_twin(spec, *run_status(spec)) for spec in specs]
    width = max(len(spec.run_id) for spec in specs)
    for spec, status, detail in statuses:
        print(f"{spec.run_id:<{width}}  {status:<8} {detail}".rstrip())
    counts = Counter(status for _, status, _ in statuses)
    print(f"{len(specs)} runs in {specs[0].sweep_dir}: "
          + ", ".join(f"{counts[s]} {s}" for s in ("done", "partial", "failed", "pending") if counts[s]))


def _run(specs: list[RunSpec], todo: list[RunSpec], args: argparse.Namespace) -> list[dict[str, Any]]:
    from tqdm.auto import tqdm

    print(f"{len(specs)} runs, {len(specs) - len(pending_runs(specs))} finished; running {len(todo)} "
          f"({args.backend} backend, {args.jobs} at a time) into {specs[0].sweep_dir}")
    bar = tqdm(total=len(todo), unit="run", desc="sweep", dynamic_ncols=True)

    def on_record(record: dict[str, Any]) -> None:
        bar.update()
        if record.get("status") != "done":
            bar.write(f"failed: {record['run_id']}: {record.get('reason', '')}")

    try:
        return run_sweep(todo, args.backend, args.jobs, args.address, on_record)
    finally:
        bar.close()


def evaluate_only(specs: list[RunSpec], args: argparse.Namespace) -> int:
    """Evaluate the trained runs again (no training, except --retrain-missing); 1 if one failed."""
    from vimax.sweep.reevaluate import FAILED, NO_WEIGHTS, reevaluate_run, weights_state

    if args.data_dir:
        for spec in specs:
            if spec.evaluation is not None:
                spec.evaluation.setdefault("data_dir", str(Path(args.data_dir).resolve()))
    states = Counter(weights_state(spec) for spec in specs)
    print(f"{len(specs)} runs in {specs[0].sweep_dir}: {states['ready']} with weights to evaluate, "
          f"{states[NO_WEIGHTS]} trained without weights"
          + ("" if args.retrain_missing or not states[NO_WEIGHTS] else " (--retrain-missing trains them)"))
    if args.dry_run:
        for spec in specs:
            print(f"  {spec.run_id}: {weights_state(spec)}")
        return 0
    results = []
    for spec in specs:
        result = reevaluate_run(spec, args.retrain_missing)
        results.append(result)
        detail = f" ({result['seconds']:.0f} s)" if result["seconds"] else ""
        print(f"  {spec.run_id}: {result['status']}{detail}"
              + (f": {result['reason']}" if result["reason"] else ""))
    counts = Counter(result["status"] for result in results)
    print("; ".join(f"{count} {status}" for status, count in counts.items()))
    if counts[NO_WEIGHTS]:
        print(f"{counts[NO_WEIGHTS]} runs have no model.pt: their evaluation.json was left as it was "
              "(--retrain-missing trains them again, bit for bit on the machine that trained them)")
    return 1 if counts[FAILED] else 0


def run(args: argparse.Namespace) -> int:
    if not getattr(args, "verbose", False):
        logging.getLogger("vimax.training").setLevel(logging.WARNING)
    if args.retrain_missing and not args.evaluate_only:
        raise ConfigError("--retrain-missing goes with --evaluate-only")
    if args.evaluate_only and args.no_evaluate:
        raise ConfigError("--evaluate-only and --no-evaluate contradict each other")
    specs = build_specs(args)
    if args.evaluate_only:
        check_evaluation(specs)
        return evaluate_only(specs, args)
    if args.dry_run:
        print_plan(specs)
        return 0
    check_evaluation(specs)
    if args.backend == "ray":
        from vimax.sweep.ray_backend import import_ray

        import_ray()
    for spec in specs:
        record_if_finished(spec)  # a run finished by a killed sweep may lack its record
    todo = pending_runs(specs, args.max_runs, retry_failed=not args.skip_failed)
    if not todo:
        print(f"all {len(specs)} runs are finished in {specs[0].sweep_dir}")
        return 0
    try:
        records = _run(specs, todo, args)
    except KeyboardInterrupt:
        print("vimax: sweep interrupted; finished runs are kept and the others resume when the same "
              "command is run again")
        return 130
    failed = [r for r in records if r.get("status") != "done"]
    remaining = len(pending_runs(specs, retry_failed=not args.skip_failed))
    print(f"{len(records) - len(failed)} runs done, {len(failed)} failed "
          f"(records in {specs[0].sweep_dir / 'records'}); {remaining} runs still to run")
    for record in failed:
        print(f"  {record['run_id']}: {record.get('reason', '')}")
    return 1 if failed else 0
