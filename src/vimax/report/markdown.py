"""REPORT.md: the paper's tables and figures beside ours, and every other sweep, from saved results only."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vimax.atomic import atomic_write_text
from vimax.errors import VimaxError
from vimax.report.cifar import cifar_section
from vimax.report.claims import apply_holm, claims_table
from vimax.report.collect import RunResult, collect, collect_records
from vimax.report.conclusion import conclusion_section
from vimax.report.format import Context, Section, fmt_duration, markdown_table
from vimax.report.mnist_figures import fig1_section, fig2_section
from vimax.report.paper_schedule import PROFILE as PAPER_PROFILE
from vimax.report.paper_schedule import paper_schedule_sections
from vimax.report.representation import table3_section
from vimax.report.robustness import table2_section
from vimax.report.stats import ALPHA, POWER
from vimax.report.sweep_summary import SweepSummary
from vimax.report.sweeps import (
    INTRO,
    PAPER_SWEEPS,
    is_paper_sweep,
    summarize_sweeps,
    sweep_sections,
    sweeps_table,
    sweeps_title,
)
from vimax.report.tables import fig1_vim_best, table1_section
from vimax.report.why import why_section

__all__ = ["write_report", "render_report", "choose_profile", "run_facts", "SECTIONS"]

logger = logging.getLogger(__name__)

SECTIONS = (why_section, table1_section, table2_section, table3_section, fig1_section, fig2_section,
            cifar_section)
TITLE = "# Reproducing “The Variational InfoMax Learning Objective”"


def choose_profile(runs: list[RunResult], profile: str | None) -> str:
    """The asked profile; else the only one in the results, or the only one besides `paper`
    (whose runs then get their own section); several others need a choice."""
    found = sorted({run.profile for run in runs})
    if profile is not None:
        return profile
    others = [p for p in found if p != PAPER_PROFILE]
    if len(others) > 1:
        raise VimaxError(f"the results hold several profiles ({', '.join(found)}); choose one with --profile")
    return others[0] if others else (found[0] if found else "none")


def _finished_runs(done: int, folders: int) -> str:
    """"18 runs finished", plus the run folders without results when there are any (a sweep
    still running or interrupted; runs it has not started have no folder and are not counted)."""
    unfinished = folders - done
    return f"{done} runs finished" + (f", {unfinished} unfinished" if unfinished else "")


def run_facts(runs: list[RunResult], records: list[dict[str, Any]],
              name: Callable[[RunResult], str] = lambda run: run.sweep) -> list[str]:
    """Sweeps (named by ``name``), seeds, git revisions and wall time of the runs, as list items."""
    finished = [run for run in runs if run.metrics is not None]
    sweeps = Counter(name(run) for run in runs)
    done = Counter(name(run) for run in finished)
    revisions = Counter(run.git_revision or "unknown" for run in runs)
    copies = [run for run in finished if (run.metrics or {}).get("reused_from")]
    trained = [run for run in finished if not (run.metrics or {}).get("reused_from")]
    train = sum(run.value("metrics.train_seconds") or 0.0 for run in trained)
    evaluation = sum(run.value("evaluation.seconds") or 0.0 for run in finished)
    wall = sum(float(r.get("seconds") or 0.0) for r in records)
    return [
        "- **Sweeps:** " + (", ".join(f"`{s}` ({_finished_runs(done[s], n)})"
                                      for s, n in sorted(sweeps.items())) or "none"),
        "- **Seeds:** " + (", ".join(str(s) for s in sorted({run.seed for run in finished})) or "none"),
        "- **Git revisions of the runs:** " + (", ".join(f"`{rev}` ({n} runs)"
                                                         for rev, n in revisions.most_common()) or "none"),
        f"- **Total wall time:** {fmt_duration(train + evaluation)} (training {fmt_duration(train)}, "
        f"evaluation {fmt_duration(evaluation)}, summed over runs)"
        + (f"; {fmt_duration(wall)} of run time in the sweep records" if wall else "")
        + (f". {len(copies)} runs copied the training of an identical run (same config and seed) of "
           "another sweep; their training is counted once" if copies else ""),
    ]


def header(results_dir: Path, runs: list[RunResult], records: list[dict[str, Any]],
           profile: str, paper: bool = False) -> list[str]:
    """The paper report's title, method, and profile, sweeps, seeds, git revisions and wall time."""
    return [
        TITLE, "",
        f"Written by `vimax report` from the saved results in `{results_dir}` only (nothing is trained or "
        "evaluated to write it). Ours: mean ± std over seeds (n seeds). Each claim of the paper is a "
        "two-sided Welch t-test (unequal variances) of VIM against VIB over seeds: the difference of means "
        "with its 95 % confidence interval, Welch's p, and Holm's step-down correction of p over all the "
        f"claims of the report. Verdicts: **reproduces** (the paper's direction, Holm p < {ALPHA}), "
        f"**contradicted** (the opposite direction, Holm p < {ALPHA}), **inconclusive** (otherwise). Each "
        f"claim also gives the smallest difference its seeds detect with {POWER:.0%} power (two-sided "
        f"α = {ALPHA}).", "",
        f"- **Profile:** `{profile}`" + (f" (the runs of profile `{PAPER_PROFILE}`, the paper's schedule, "
                                          "have their own section below)" if paper else ""),
        *run_facts(runs, records),
    ]


def failures(records: list[dict[str, Any]]) -> list[str]:
    failed = [r for r in records if r.get("status") == "failed"]
    if not failed:
        return []
    rows = [[f"`{r.get('sweep')}`", f"`{r.get('run_id')}`", str(r.get("reason", "")).replace("|", "\\|")]
            for r in failed]
    return ["## Failed runs", "", *markdown_table(["sweep", "run", "reason"], rows), ""]


def render_section(section: Section) -> list[str]:
    lines = [f"{'#' * section.level} {section.title}", "", *section.body, ""]
    if section.claims:
        lines += [f"{'#' * (section.level + 1)} Does the paper's claim reproduce?", "",
                  *(f"- {c.sentence}" for c in section.claims), ""]
    return lines


def _summary(claims: list, family: int, runs: list[RunResult]) -> list[str]:
    if not any(run.metrics is not None for run in runs):
        return ["Nothing has run yet."]
    return [f"Holm's correction is over the {family} claims that could be tested; the difference is "
            "VIM − VIB in the table's units (percentage points for errors), with its 95 % Welch "
            "interval.", "",
            *claims_table(claims), "", *(f"- {c.sentence}" for c in claims if c.comparison is None)]


def _paper_report(results_dir: Path, runs: list[RunResult], profile: str, context: Context,
                  paper_runs: list[RunResult]) -> list[str]:
    """The paper's sections from the runs of its sweeps (``paper_runs``: those of profile `paper`)."""
    records = [r for r in collect_records(results_dir, profile) if r.get("sweep") in PAPER_SWEEPS]
    sections = [build(runs, context) for build in SECTIONS]
    paper_records = []
    if paper_runs:
        sections += paper_schedule_sections(paper_runs, context, fig1_vim_best(runs))
        paper_records = [r for r in collect_records(results_dir, PAPER_PROFILE)
                         if r.get("sweep") in PAPER_SWEEPS]
    claims = [c for section in sections for c in section.claims]
    family = apply_holm(claims)
    lines = [*header(results_dir, runs, records, profile, bool(paper_runs)), "",
             "## Summary: does the paper's claim reproduce?", "",
             *_summary(claims, family, runs + paper_runs), ""]
    for section in [*sections, conclusion_section(claims, profile, paper_runs, family)]:
        lines += render_section(section)
    return lines + failures(records + paper_records)


def _sweeps_report(results_dir: Path, runs: list[RunResult], summaries: list[SweepSummary],
                   context: Context, profile: str | None) -> list[str]:
    """A report of sweeps that are not the paper's: each sweep's table, figures and summary link."""
    records = [r for r in collect_records(results_dir, profile) if r.get("sweep") not in PAPER_SWEEPS]
    lines = [sweeps_title(summaries), "",
             f"Written by `vimax report` from the saved results in `{results_dir}` only (nothing is trained "
             f"or evaluated to write it). {INTRO}", ""]
    if not runs:
        where = f"`{results_dir}`" + (f" of profile `{profile}`" if profile else "")
        return lines + ["Nothing has run yet. There is no run folder "
                        f"(`<sweep>/<profile>/<run id>/config.json`) under {where}."]
    return [*lines, *run_facts(runs, records, lambda run: f"{run.sweep}/{run.profile}"), "",
            *sweep_sections(summaries, context), *failures(records)]


def render_report(results_dir: str | Path, out: str | Path, profile: str | None = None) -> str:
    """The report's Markdown; writes its figures beside ``out`` and each sweep's SUMMARY.md and
    figures in ``<sweep>/<profile>/`` beside it.

    The paper's sections appear when the paper's sweeps (:data:`PAPER_SWEEPS`) have runs of the
    profile reported; every other sweep (of every profile, unless ``profile`` is given) gets a
    section of its own.
    """
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise VimaxError(f"results folder {results_dir} does not exist")
    all_runs = collect(results_dir)
    paper_sweeps = [run for run in all_runs if is_paper_sweep(run)]
    chosen = choose_profile(paper_sweeps, profile) if paper_sweeps or profile else "none"
    context = Context(Path(out), chosen)
    try:
        context.folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # e.g. --out below a file
        raise VimaxError(f"cannot create the report's folder {context.folder}: "
                         f"{error.strerror or error}") from None
    listed = [run for run in all_runs if profile is None or run.profile == profile]
    summaries = summarize_sweeps(results_dir, listed, context.folder)
    runs = [run for run in paper_sweeps if run.profile == chosen]
    paper_runs = ([run for run in paper_sweeps if run.profile == PAPER_PROFILE]
                  if chosen != PAPER_PROFILE else [])
    others = [s for s in summaries if s.sweep not in PAPER_SWEEPS]
    if not runs and not paper_runs:
        lines = _sweeps_report(results_dir, [run for run in listed if not is_paper_sweep(run)], others,
                               context, profile)
    else:
        lines = [*_paper_report(results_dir, runs, chosen, context, paper_runs),
                 *sweep_sections(others, context),
                 *sweeps_table([s for s in summaries if s.sweep in PAPER_SWEEPS], context)]
    return "\n".join(lines).rstrip() + "\n"


def write_report(results_dir: str | Path, out: str | Path | None = None, profile: str | None = None) -> Path:
    """Write REPORT.md (atomically) and its PNG figures beside it; return its path."""
    out = Path(out) if out is not None else Path(results_dir) / "REPORT.md"
    if out.is_dir():
        raise VimaxError(f"the report {out} is a folder; give a file name such as {out / 'REPORT.md'}")
    text = render_report(results_dir, out, profile)
    atomic_write_text(out, text)
    logger.debug("wrote %s", out)  # the command prints the path
    return out
