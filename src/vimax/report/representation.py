"""The report's Table 3: clustering (ARI, cluster accuracy) and Hoyer sparsity of the representation.

Hoyer is computed several ways (on the raw means, on means / the prior σ, on means / each
dimension's spread, on z-scored means); the report says which comes closest to the paper's
baseline value. Old evaluations have only the per-dimension one, as ``hoyer``.
"""

from __future__ import annotations

from vimax.report import paper
from vimax.report.claims import claim
from vimax.report.collect import RunResult, select
from vimax.report.diagnostics import DIAGNOSTICS_HEADER, diagnostics_cell
from vimax.report.format import Context, Section, fmt, fmt_beta, fmt_p, fmt_paper, markdown_table, summary_of
from vimax.report.layout import representation_value
from vimax.report.stats import compare
from vimax.report.tables import Scope, not_run, paper_gap, row_runs, vim_best, vim_rows

__all__ = ["table3_section", "HOYER_VARIANTS", "closest_to_paper"]

HOYER_VARIANTS = {"hoyer_raw": "raw means", "hoyer_prior_std": "means / prior σ",
                  "hoyer_dim_std": "means / each dimension's spread", "hoyer_zscore": "z-scored means"}
CLAIMED = (("ari", "ARI", "adjr"), ("cluster_accuracy", "cluster accuracy", "adjr"),
           ("hoyer", "Hoyer", "hoyer"))


def _value(key: str):
    return lambda run: representation_value(run, key)


def closest_to_paper(runs: list[RunResult], keys: dict[str, str], target: float) -> str | None:
    """Which of ``keys`` (mean over runs) is closest to the paper's ``target``, as a sentence part;
    None unless at least two of them have values."""
    means = {key: summary_of(runs, _value(key)).mean for key in keys}
    means = {key: value for key, value in means.items() if value is not None}
    if len(means) < 2:  # nothing to choose between
        return None
    best = min(means, key=lambda key: abs(means[key] - target))
    return f"{keys[best]} ({means[best]:.3f}; paper {target:.3f})"


def _variant_lines(rows, chosen: dict[str, list[RunResult]]) -> list[str]:
    def cell(runs: list[RunResult], key: str) -> str:  # "—": runs evaluated before this variant existed
        summary = summary_of(runs, _value(key))
        return "—" if runs and summary.n == 0 else fmt(summary, digits=3)

    table = [[row.label, *(cell(chosen[row.label], key) for key in HOYER_VARIANTS),
              fmt_paper(row.values["hoyer"], 3)] for row in rows]
    lines = ["Hoyer sparsity of the test set's means, by normalisation (— : not in these evaluations):", "",
             *markdown_table(["Model", *HOYER_VARIANTS.values(), "paper"], table)]
    baseline = chosen[rows[0].label]
    hoyer = closest_to_paper(baseline, HOYER_VARIANTS, paper.TABLE3[0].values["hoyer"])
    clusters = closest_to_paper(baseline, {"ari": "ARI", "cluster_accuracy": "cluster accuracy"},
                                paper.TABLE3[0].values["adjr"])
    if hoyer:
        lines += ["", f"Closest to the paper's baseline: Hoyer on {hoyer}"
                  + (f"; clustering: {clusters}." if clusters else ".")]
    return lines


def table3_section(runs: list[RunResult], context: Context, scope: Scope | None = None) -> Section:
    """Table 3: clustering (ARI, cluster accuracy) and sparsity (Hoyer) of the representation."""
    scope = scope or Scope()
    section = Section("Table 3 — quality of the representation", level=scope.level)
    sweep = scope.tables2_3
    mine = [r for r in select(runs, sweep) if representation_value(r, "ari") is not None]
    if not mine:
        return not_run(section, sweep, "tables2_3.yaml", context, scope)
    rows = vim_rows(mine, None, paper.TABLE3, vim_best(runs, scope))
    chosen = {row.label: row_runs(mine, None, row) for row in rows}
    table = []
    for row in rows:
        v = {key: summary_of(chosen[row.label], _value(key)) for key in ("ari", "cluster_accuracy", "hoyer")}
        table.append([row.label, str(v["ari"].n), fmt(v["ari"], digits=3),
                      fmt(v["cluster_accuracy"], digits=3), fmt_paper(row.values["adjr"], 3),
                      fmt(v["hoyer"], digits=3), fmt_paper(row.values["hoyer"], 3),
                      diagnostics_cell(chosen[row.label])])
    p_rows = []
    for vim_row in (r for r in rows if r.objective == "vim"):
        name = "VIM" if vim_row.beta == 1e-3 else f"VIM at β = {fmt_beta(vim_row.beta)}"
        for vib_row in (r for r in rows if r.objective == "vib"):
            cells = [f"{name} vs {vib_row.label}"]
            for key, metric, paper_key in CLAIMED:
                c = compare(metric, summary_of(chosen[vim_row.label], _value(key)),
                            summary_of(chosen[vib_row.label], _value(key)), True)
                cells.append(fmt_p(c.p))
                section.claims.append(claim(f"{scope.prefix}Table 3: {name} has a higher {metric} than "
                                            f"{vib_row.label}", c, name, "VIB", digits=3,
                                            paper=paper_gap(paper.TABLE3, vib_row, paper_key)))
            p_rows.append(cells)
    section.body += [
        f"{'Sweep `' + sweep + '`' if sweep else 'Runs'}: k-means (k = 10) on the test set's mean "
        "embeddings; Hoyer sparsity of the means (the headline normalisation; the others below). The "
        "paper's \"adjR\" formula is a cluster accuracy, so both are shown beside it. Higher is better.", "",
        *markdown_table(["Model", "n", "ARI ours", "cluster accuracy ours", "adjR paper", "Hoyer ours",
                         "Hoyer paper", DIAGNOSTICS_HEADER], table), "",
        *_variant_lines(rows, chosen), "",
        "Welch p-values:", "", *markdown_table(["", "ARI", "cluster accuracy", "Hoyer"], p_rows)]
    return section
