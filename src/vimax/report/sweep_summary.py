"""A summary of any sweep: a table by setting and one by run, error-against-axis plots, learning curves.

For each ``<sweep>/<profile>/`` of a results folder, :func:`summarize_sweep` groups the runs
by what they vary (:mod:`vimax.report.varied`), draws the figures (:mod:`vimax.report.sweep_plots`)
and writes ``<sweep>/<profile>/SUMMARY.md`` beside them, under the report's folder. Settings
are ranked by validation error; the test error is shown, never used to choose. Only saved
results are read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vimax.atomic import atomic_write_text
from vimax.report.collect import RunResult
from vimax.report.format import Context, fmt, fmt_small, markdown_table, summary_of
from vimax.report.layout import DIAGNOSTICS, diagnostic
from vimax.report.stats import Summary
from vimax.report.sweep_plots import axis_figures, curve_figures
from vimax.report.varied import Setting, SweepSettings, fmt_value, sweep_settings
from vimax.sweep.records import FAILED, read_records
from vimax.training.run_folder import RunFolder

__all__ = ["SweepSummary", "summarize_sweep", "by_sweep", "SUMMARY"]

logger = logging.getLogger(__name__)

SUMMARY = "SUMMARY.md"
# (column, saved number, scale, digits)
NUMBERS = (("validation error (%)", "metrics.val_error", 100.0, 2),
           ("test error (%)", "metrics.test_error", 100.0, 2),
           ("rate (bits)", "metrics.rate_bits", 1.0, 1),
           ("I(Z;Y) (bits)", "metrics.izy_bits", 1.0, 3))
DIAGNOSTIC_NAMES = {"regulariser_grad_ratio": "‖∇βD‖/‖∇CE‖", "latent_scale": "E‖z‖²/(Kσ²)",
                    "posterior_std_median": "median std"}


def by_sweep(runs: list[RunResult]) -> dict[tuple[str, str], list[RunResult]]:
    """Runs by (sweep, profile), sorted by name."""
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for run in runs:
        groups.setdefault((run.sweep, run.profile), []).append(run)
    return dict(sorted(groups.items()))


@dataclass
class SweepSummary:
    """One sweep's runs, records, settings and the files written for it."""

    sweep: str
    profile: str
    runs: list[RunResult]
    records: dict[str, dict[str, Any]]
    table: SweepSettings
    path: Path  # SUMMARY.md
    axis_plots: dict[str, Path] = field(default_factory=dict)
    curves: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.sweep}/{self.profile}"

    @property
    def finished(self) -> list[RunResult]:
        return [run for run in self.runs if run.metrics is not None]

    @property
    def failed_records(self) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if r.get("status") == FAILED]

    def diagnostics(self) -> list[str]:
        """The diagnostics some finished run has."""
        return [key for key in DIAGNOSTICS if any(diagnostic(run, key) is not None for run in self.finished)]

    def best(self) -> Setting | None:
        """The setting of lowest mean validation error (None when no run has one)."""
        scored = [(summary_of(s.runs, "metrics.val_error").mean, i, s)
                  for i, s in enumerate(self.table.settings)]
        scored = [item for item in scored if item[0] is not None]
        return min(scored)[2] if scored else None


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _values(summary: SweepSummary, setting: Setting) -> list[str]:
    return [_cell(fmt_value(c, setting.values[c])) for c in summary.table.columns]


def _fmt(found: Summary, scale: float = 1.0, digits: int = 2) -> str:
    """"mean ± std", "mean" for one seed, "—" for none (not run, or not defined: a deterministic
    run has no rate)."""
    return fmt(found, scale, digits) if found.n else "—"


def _numbers(summary: SweepSummary, runs: list[RunResult]) -> list[str]:
    cells = [_fmt(summary_of(runs, key), scale, digits) for _, key, scale, digits in NUMBERS]
    for key in summary.diagnostics():
        cells.append(fmt_small(summary_of(runs, lambda run, k=key: diagnostic(run, k)).mean))
    return cells


def _header(summary: SweepSummary, *extra: str) -> list[str]:
    names = summary.table.names
    return ([names.get(c, c) for c in summary.table.columns] + list(extra)
            + [label for label, *_ in NUMBERS] + [DIAGNOSTIC_NAMES[k] for k in summary.diagnostics()])


def setting_table(summary: SweepSummary) -> list[str]:
    """One row per setting: its values, seeds finished, and mean ± std over them."""
    rows = []
    for setting in summary.table.settings:
        done = summary_of(setting.runs, "metrics.val_error").n
        n = str(done) if done == len(setting.runs) else f"{done} of {len(setting.runs)}"
        rows.append([*_values(summary, setting), n, *_numbers(summary, setting.runs)])
    return markdown_table(_header(summary, "n"), rows)


def _status(summary: SweepSummary, run: RunResult) -> str:
    if run.metrics is not None:
        return "copied" if run.metrics.get("reused_from") else "done"
    record = summary.records.get(run.run_id) or {}
    if record.get("status") == FAILED:
        reason = str(record.get("reason", ""))
        return _cell("failed: " + (reason[:77] + "…" if len(reason) > 80 else reason))
    epochs = len(RunFolder(run.path).read_history())
    return f"unfinished ({epochs} of {run.config.get('train', {}).get('epochs', '?')} epochs)"


def _seconds(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.1f}" if seconds < 10 else f"{seconds:.0f}"


def run_table(summary: SweepSummary) -> list[str]:
    """One row per run, the seeds of a setting together."""
    rows = []
    for setting in summary.table.settings:
        for run in setting.runs:
            seconds = run.value("metrics.train_seconds")
            rows.append([*_values(summary, setting), str(run.seed), _status(summary, run),
                         *_numbers(summary, [run]), _seconds(seconds)])
    return markdown_table(_header(summary, "seed", "status") + ["training (s)"], rows)


def _fmt_error(runs: list[RunResult], key: str) -> str:
    found: Summary = summary_of(runs, key)
    return f"{_fmt(found, 100.0)} % (n = {found.n})"


def overview(summary: SweepSummary) -> list[str]:
    """How many runs, what varies, and the setting of lowest validation error."""
    runs, finished = summary.runs, summary.finished
    failed = sum(1 for run in runs if run.metrics is None and _status(summary, run).startswith("failed"))
    unfinished = len(runs) - len(finished) - failed
    counts = f"{len(finished)} runs finished" + (f", {unfinished} unfinished" if unfinished else "") + (
        f", {failed} failed" if failed else "")
    seeds = ", ".join(str(s) for s in sorted({run.seed for run in runs})) or "none"
    columns = summary.table.columns
    varied = ", ".join(f"`{c}`" for c in columns) or "nothing but the seed"
    lines = [f"{counts}; seeds {seeds}; varied: {varied}."]
    best = summary.best()
    if best is not None and len(summary.table.settings) > 1:
        lines += ["", f"Lowest mean validation error: **{best.label(columns, summary.table.names)}**, "
                      f"validation {_fmt_error(best.runs, 'metrics.val_error')}, test "
                      f"{_fmt_error(best.runs, 'metrics.test_error')} (chosen on validation; the test "
                      "error is shown, not used to choose)."]
    return lines


def _variants(summary: SweepSummary) -> list[str]:
    variants = {name: own for name, own in summary.table.variants.items() if own}
    if not variants:
        return []
    return ["What each variant sets (the same for all its runs):", "",
            *(f"- `{name}`: " + ", ".join(f"`{k}` = {fmt_value(k, v)}" for k, v in own.items())
              for name, own in variants.items()), ""]


def _failures(summary: SweepSummary) -> list[str]:
    folders = {run.run_id for run in summary.runs}
    lonely = [r for r in summary.failed_records if r.get("run_id") not in folders]
    if not lonely:
        return []
    return ["## Failed runs without a run folder", "",
            *(f"- `{r.get('run_id')}`: {_cell(r.get('reason', ''))}" for r in lonely), ""]


def _figures(summary: SweepSummary, link) -> list[str]:
    lines = []
    for axis, path in summary.axis_plots.items():
        lines += [f"![error against {summary.table.names[axis]}]({link(path)})", ""]
    for path in summary.curves:
        lines += [f"![learning curves]({link(path)})", ""]
    return lines


def summary_markdown(summary: SweepSummary, results_dir: Path) -> str:
    """SUMMARY.md: overview, the table by setting, figures, the table by run, failures."""
    lines = [f"# Sweep `{summary.sweep}` (profile `{summary.profile}`)", "",
             f"Written by `vimax report` from the saved run folders in "
             f"`{results_dir / summary.sweep / summary.profile}` only. Errors in percent, mean ± std over "
             "seeds.", "", *overview(summary), "",
             "## By setting", "", *setting_table(summary), "", *_variants(summary),
             *(["## Figures", "", *_figures(summary, lambda path: path.name)] if summary.axis_plots
               or summary.curves else []),
             "## Every run", "", *run_table(summary), "", *_failures(summary)]
    return "\n".join(lines).rstrip() + "\n"


def report_section(summary: SweepSummary, context: Context, inline: bool) -> list[str]:
    """The main report's part for this sweep: everything but the run table (``inline``), or one row
    of the sweeps' table (see :func:`vimax.report.sweeps.sweeps_table`)."""
    link = f"[{context.link(summary.path)}]({context.link(summary.path)})"
    if not inline:
        return [f"`{summary.sweep}`", f"`{summary.profile}`", _cell(" ".join(overview(summary)[:1])), link]
    return [f"## Sweep `{summary.sweep}` (profile `{summary.profile}`)", "", *overview(summary), "",
            *setting_table(summary), "", *_variants(summary), *_figures(summary, context.link),
            f"Every run, with its status and seed: {link}.", ""]


def summarize_sweep(results_dir: Path, sweep: str, profile: str, runs: list[RunResult],
                    out_folder: Path) -> SweepSummary:
    """Group a sweep's runs, draw its figures and write its SUMMARY.md under ``out_folder``."""
    records = read_records(results_dir / sweep / profile)
    variants = {run_id: str(r["variant"]) for run_id, r in records.items() if r.get("variant") is not None}
    folder = out_folder / sweep / profile
    folder.mkdir(parents=True, exist_ok=True)
    table = sweep_settings(runs, variants)
    summary = SweepSummary(sweep, profile, runs, records, table, folder / SUMMARY)
    title = f"{sweep}/{profile}"
    summary.axis_plots = axis_figures(table, folder, title)
    summary.curves = curve_figures(table, folder, title)
    atomic_write_text(summary.path, summary_markdown(summary, results_dir))
    logger.debug("wrote %s", summary.path)
    return summary
