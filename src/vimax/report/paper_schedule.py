"""Tables 1-3 under the paper's schedule (profile ``paper``: 200 epochs, Adam lr 1e-4), beside the cpu ones.

Paper-schedule runs may sit in any sweep (``results/<sweep>/paper/``); a run copied into
several sweeps is counted once. Runs still training are listed with the epochs they have done.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from vimax.report.collect import RunResult, select
from vimax.report.diagnostics import unique_runs
from vimax.report.format import Context, Section, fmt_duration, markdown_table
from vimax.report.representation import table3_section
from vimax.report.robustness import table2_section
from vimax.report.tables import Scope, table1_section
from vimax.training.run_folder import HISTORY

__all__ = ["PROFILE", "PREFIX", "epochs_done", "paper_schedule_sections", "run_hours", "finished_runs"]

PROFILE = "paper"
PREFIX = "Paper schedule — "
COMMAND = ("`vimax sweep configs/tables2_3.yaml --profile paper --seeds 3 --jobs 2 --match "
           "'deterministic_seed0' 'vib_beta1e-03_sigma1_seed0' 'vim_beta1e-03_sigma1_seed0' "
           "'vim_beta1e+01_sigma1_seed0' ...` (seed 0 of each setting first; trains, attacks and "
           "clusters; `configs/table1.yaml --profile paper` then copies the runs); a sweep resumes where "
           "it stopped when run again. `scripts/paper_schedule_sweep.sh` runs it in the background from a "
           "fixed commit's worktree, seed by seed")


def epochs_done(folder: Path) -> int:
    """The epochs a run has finished: the lines of its metrics.jsonl (0 when it has none)."""
    try:
        lines = (folder / HISTORY).read_text().splitlines()
    except OSError:
        return 0
    done = 0
    for line in lines:
        try:
            done = max(done, int(json.loads(line).get("epoch", done + 1)))
        except (ValueError, AttributeError, TypeError):
            continue
    return done


def run_hours(runs: list[RunResult]) -> str | None:
    """The median training time of one finished run that trained (copies left out), in words."""
    seconds = [r.value("metrics.train_seconds") for r in runs if not (r.metrics or {}).get("reused_from")]
    seconds = [s for s in seconds if s is not None]
    if not seconds:
        return None
    return f"{fmt_duration(statistics.median(seconds))} (median of {len(seconds)} runs)"


@dataclass
class _Pool:
    finished: list[RunResult]
    unfinished: list[RunResult]


def finished_runs(runs: list[RunResult]) -> list[RunResult]:
    """The finished MNIST K = 256 paper-schedule runs, each config once."""
    return _pool(runs).finished


def _pool(runs: list[RunResult]) -> _Pool:
    """The MNIST K = 256 paper-schedule runs, finished ones deduplicated (evaluated copies first)."""
    mnist = [r for r in runs if r.value("config.model.latent_dim") == 256
             and (r.config.get("data") or {}).get("name", "mnist") == "mnist"]
    finished = unique_runs(sorted(select(mnist), key=lambda r: r.evaluation is None))
    return _Pool(finished, [r for r in mnist if r.metrics is None])


def _seed_counts(runs: list[RunResult]) -> str:
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.setting] = counts.get(run.setting, 0) + 1
    parts = [f"`{setting}` n = {n} seed{'s' if n != 1 else ''}" + (" (fewer than 3)" if n < 3 else "")
             for setting, n in sorted(counts.items())]
    return "; ".join(parts) if parts else "none yet"


def paper_schedule_sections(runs: list[RunResult], context: Context, vim_best: float | None) -> list[Section]:
    """A heading section with the runs' state, then Tables 1-3 on the paper-schedule runs."""
    pool = _pool(runs)
    intro = Section("Tables 1–3 under the paper's schedule (profile `paper`)")
    epochs = sorted({int(r.value("config.train.epochs") or 0) for r in pool.finished + pool.unfinished})
    intro.body += [
        "The reference VIB recipe the paper follows (200 epochs, batches of 100, Adam lr 1e-4 with β₁ = 0.5, "
        "lr × 0.97 every 2 epochs, weights averaged with decay 0.999), instead of the 10-epoch `cpu` "
        f"schedule of the sections above. Runs of any sweep under `results/<sweep>/{PROFILE}/`; a run copied "
        f"into several sweeps is counted once. Epochs per run: {', '.join(map(str, epochs)) or '—'}.", "",
        f"- **Finished runs by setting:** {_seed_counts(pool.finished)}.",
        "- **Wall time of one paper-schedule run (training):** "
        f"{run_hours(pool.finished) or 'none has finished yet'}.",
        f"- **Command:** {COMMAND}."]
    if pool.unfinished:
        rows = [[f"`{r.sweep}`", f"`{r.run_id}`",
                 f"{epochs_done(r.path)} of {int(r.value('config.train.epochs') or 0) or '?'}"]
                for r in sorted(pool.unfinished, key=lambda r: (r.sweep, r.run_id))]
        intro.body += ["", "Unfinished runs (still training, or stopped; not in the tables):", "",
                       *markdown_table(["sweep", "run", "epochs done"], rows)]
    scope = Scope(table1=None, tables2_3=None, prefix=PREFIX, vim_best=vim_best, level=3)
    paper_context = Context(context.report_path, PROFILE)
    tables = [build(pool.finished, paper_context, scope) for build in (table1_section, table2_section,
                                                                        table3_section)]
    return [intro, *tables]
