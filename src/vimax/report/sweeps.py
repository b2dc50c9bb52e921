"""Every sweep of a results folder in the report: the paper's sweeps apart from the others.

The paper's sweeps are those of ``configs/`` (:data:`PAPER_SWEEPS`): they get the paper's
sections (Tables 1–3, Fig. 1, Fig. 2, CIFAR-10, ...) and a line each in the table of sweeps.
Any other sweep gets a section of its own: its table by setting, its figures and a link to its
SUMMARY.md (:mod:`vimax.report.sweep_summary`). A report of no paper sweep is titled after
the sweeps it covers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vimax.report.collect import RunResult
from vimax.report.format import Context, markdown_table
from vimax.report.sweep_summary import SweepSummary, by_sweep, report_section, summarize_sweep

__all__ = ["PAPER_SWEEPS", "is_paper_sweep", "summarize_sweeps", "sweeps_table", "sweep_sections",
           "sweeps_title", "INTRO"]

# the sweeps of configs/: their runs fill the paper's tables and figures
PAPER_SWEEPS = ("table1", "tables2_3", "fig1", "fig2", "cifar10", "cpu_schedule")
INTRO = ("Errors are in percent, mean ± std over seeds (n seeds finished). Within a sweep the settings "
         "are ranked by their validation error; the test error is shown beside it and never used to choose.")


def is_paper_sweep(run: RunResult) -> bool:
    return run.sweep in PAPER_SWEEPS


def summarize_sweeps(results_dir: Path, runs: list[RunResult], out_folder: Path) -> list[SweepSummary]:
    """Write the SUMMARY.md and figures of each sweep and profile of ``runs`` under ``out_folder``."""
    return [summarize_sweep(results_dir, sweep, profile, group, out_folder)
            for (sweep, profile), group in by_sweep(runs).items()]


def sweeps_title(summaries: list[SweepSummary]) -> str:
    """``# vimax report: `a`, `b` ``: the sweeps a report without the paper's covers."""
    names = list(dict.fromkeys(s.sweep for s in summaries))
    return "# vimax report: " + ", ".join(f"`{name}`" for name in names) if names else "# vimax report"


def sweeps_table(summaries: list[SweepSummary], context: Context) -> list[str]:
    """The paper report's table of its sweeps, each linked to its SUMMARY.md."""
    if not summaries:
        return []
    rows = [report_section(summary, context, inline=False) for summary in summaries]
    return ["## Every sweep, run by run", "",
            "Each sweep's runs, their settings, errors, information-plane numbers and regulariser "
            "diagnostics, with plots against each swept number and learning curves, are in its summary.",
            "", *markdown_table(["sweep", "profile", "runs", "summary"], rows), ""]


def sweep_sections(summaries: list[SweepSummary], context: Context) -> list[str]:
    """A section for each sweep: its table by setting, figures and a link to its summary."""
    return [line for summary in summaries for line in report_section(summary, context, inline=True)]


def failed_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r.get("status") == "failed"]
