"""The report's Table 2: robustness to the Carlini–Wagner L2 attack, in each attack mode.

Mode "mean" attacks the model at z = mean; mode "averaged" attacks the stochastic model's own
prediction, the softmax averaged over fixed draws of z. A second attack engine cross-checks
the distances on some runs. Both evaluation.json layouts are read (:mod:`vimax.report.layout`).
"""

from __future__ import annotations

from vimax.report import paper
from vimax.report.claims import claim
from vimax.report.collect import RunResult, select
from vimax.report.diagnostics import DIAGNOSTICS_HEADER, diagnostics_cell
from vimax.report.format import Context, Section, fmt, fmt_beta, fmt_p, fmt_paper, markdown_table, summary_of
from vimax.report.layout import MODES, attack_value, cross_check, robustness_modes
from vimax.report.stats import compare
from vimax.report.tables import Scope, not_run, paper_gap, row_runs, vim_best, vim_rows

__all__ = ["table2_section", "MODE_NAMES"]

MODE_NAMES = {"mean": "model at z = mean", "averaged": "averaged prediction"}
CLAIMED = (("l2", "L2"), ("linf", "L∞"))  # the paper's claim: VIM is the most robust, but in L1


def _value(mode: str, key: str):
    return lambda run: attack_value(run, mode, key)


def _mode_table(rows, chosen: dict[str, list[RunResult]], mode: str) -> list[str]:
    fresh = any(attack_value(r, mode, "fresh_noise_success_rate") is not None
                for group in chosen.values() for r in group)
    table = []
    for row in rows:
        mine = chosen[row.label]
        v = {key: summary_of(mine, _value(mode, key))
             for key in ("l2", "l1_255", "l1", "linf", "success_rate", "fresh_noise_success_rate")}
        cells = [row.label, str(v["l2"].n), fmt(v["l2"]), fmt_paper(row.values["l2"]),
                 fmt(v["l1_255"], digits=0), fmt(v["l1"]), fmt_paper(row.values["l1"], 0), fmt(v["linf"]),
                 fmt_paper(row.values["linf"]), fmt(v["success_rate"], 100, 0)]
        table.append(cells + ([fmt(v["fresh_noise_success_rate"], 100, 0)] if fresh else [])
                     + [diagnostics_cell(mine)])
    header = ["Model", "n", "L2 ours", "L2 paper", "L1 ours (0–255)", "L1 ours ([0,1])", "L1 paper",
              "L∞ ours", "L∞ paper", "success rate (%)"]
    header += ["success under fresh noise (%)"] if fresh else []
    return markdown_table([*header, DIAGNOSTICS_HEADER], table)


def _number(value, digits: int = 2) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "—"


def _cross_check_rows(runs: list[RunResult]) -> list[list[str]]:
    """Each cross-checked run and mode: both engines' mean L2 on the images both fooled, and their
    per-image agreement (ratio second / first engine)."""
    rows = []
    for run in sorted(runs, key=lambda r: (r.setting, r.seed)):
        for mode, check in cross_check(run).items():
            first, second = (check.get("engines") or ["first", "second"])[:2]
            within, tolerance = check.get("fraction_within_tolerance"), check.get("tolerance", 0)
            rows.append([f"`{run.run_id}`", MODE_NAMES.get(mode, mode), f"`{first}` → `{second}`",
                         _number(check.get(f"mean_l2_{first}")), _number(check.get(f"mean_l2_{second}")),
                         str(check.get("images_both_fooled", "—")), _number(check.get("median_ratio"), 3),
                         f"{_number(check.get('min_ratio'), 3)}–{_number(check.get('max_ratio'), 3)}",
                         "—" if within is None else f"{100 * within:.0f} (± {100 * tolerance:g} %)"])
    return rows


def table2_section(runs: list[RunResult], context: Context, scope: Scope | None = None) -> Section:
    """Table 2: distances of the successful Carlini-Wagner L2 adversarials (higher is more robust)."""
    scope = scope or Scope()
    section = Section("Table 2 — robustness to the Carlini–Wagner L2 attack", level=scope.level)
    sweep = scope.tables2_3
    mine = [r for r in select(runs, sweep) if robustness_modes(r.evaluation)]
    if not mine:
        return not_run(section, sweep, "tables2_3.yaml", context, scope)
    rows = vim_rows(mine, None, paper.TABLE2, vim_best(runs, scope))
    chosen = {row.label: row_runs(mine, None, row) for row in rows}
    modes = [m for m in MODES if any(attack_value(r, m, "l2") is not None for r in mine)]
    section.body += [
        f"{'Sweep `' + sweep + '`' if sweep else 'Runs'}: CW-L2 attack of the first ten zeros of the test "
        "set towards the label one; distances are averaged over the successful adversarials of a run, then "
        "mean ± std over seeds. Higher distance = more robust. " + paper.TABLE2_UNITS_NOTE
        + " Modes: *model at z = mean* attacks the network at the posterior mean; *averaged prediction* "
        "attacks the softmax averaged over fixed draws of z (VIB's and VIM's own prediction)."
        + ("" if "averaged" in modes else " The averaged prediction has not been attacked in these runs.")]
    p_rows = []
    vibs = [r for r in rows if r.objective == "vib"]
    for mode in modes:
        section.body += ["", f"Attacked: the {MODE_NAMES[mode]}.", "", *_mode_table(rows, chosen, mode)]
        for vim_row in (r for r in rows if r.objective == "vim"):
            name = "VIM" if vim_row.beta == 1e-3 else f"VIM at β = {fmt_beta(vim_row.beta)}"
            for vib_row in vibs:
                cells = [f"{name} vs {vib_row.label}, {MODE_NAMES[mode]}"]
                for key, metric in (("l2", "L2"), ("l1_255", "L1"), ("linf", "L∞")):
                    c = compare(metric, summary_of(chosen[vim_row.label], _value(mode, key)),
                                summary_of(chosen[vib_row.label], _value(mode, key)), True)
                    cells.append(fmt_p(c.p))
                    if (key, metric) in CLAIMED:
                        section.claims.append(claim(
                            f"{scope.prefix}Table 2 ({MODE_NAMES[mode]}): {name} is more robust than "
                            f"{vib_row.label} in {metric}", c, name, "VIB",
                            paper=paper_gap(paper.TABLE2, vib_row, key)))
                p_rows.append(cells)
    section.body += ["", "Welch p-values:", "", *markdown_table(["", "L2", "L1", "L∞"], p_rows)]
    checked = _cross_check_rows(mine)
    section.body += ["", "**Cross-check with a second attack engine**" + (
        ": the same images attacked by both engines; mean L2 of each over the images both fooled, and the "
        "per-image ratio second / first engine (1 = the same distance)." if checked
        else ": none of these runs has one yet.")]
    if checked:
        section.body += ["", *markdown_table(["run", "mode", "engines (first → second)", "mean L2 first",
                                              "mean L2 second", "images both fooled", "median ratio",
                                              "ratio range", "images within tolerance (%)"], checked)]
    return section
