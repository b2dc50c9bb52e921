"""The report's sections for the paper's Tables 1, 2 and 3 (MNIST, K = 256, σ = 1)."""

from __future__ import annotations

from vimax.report import paper
from vimax.report.collect import RunResult, select
from vimax.report.format import Context, Section, claim, fmt, fmt_p, fmt_paper, markdown_table, summary_of
from vimax.report.paper import PaperRow
from vimax.report.stats import compare

__all__ = ["table1_section", "table2_section", "table3_section"]

ROBUSTNESS = "evaluation.robustness."
REPRESENTATION = "evaluation.representation."


def row_runs(runs: list[RunResult], sweep: str, row: PaperRow) -> list[RunResult]:
    """Our finished runs of a paper row: same objective, and same beta and sigma when it has them."""
    criteria = {"objective": row.objective}
    if row.beta is not None:
        criteria["beta"] = row.beta
    if row.prior_std is not None:
        criteria["prior_std"] = row.prior_std
    return select(runs, sweep, **criteria)


def _not_run(section: Section, sweep: str, config: str, context: Context) -> Section:
    section.body.append(f"Not run: no finished run of sweep `{sweep}` with profile `{context.profile}` "
                        f"(`vimax sweep configs/{config} --profile {context.profile}`).")
    return section


def table1_section(runs: list[RunResult], context: Context) -> Section:
    """Table 1: test error (%) of the baseline, three regularisers, VIB and VIM."""
    section = Section("Table 1 — MNIST test error (%)")
    if not select(runs, "table1"):
        return _not_run(section, "table1", "table1.yaml", context)
    summaries = {row.label: summary_of(row_runs(runs, "table1", row), "metrics.test_error")
                 for row in paper.TABLE1}
    vib, vim = summaries[paper.TABLE1[-2].label], summaries[paper.TABLE1[-1].label]
    comparison = compare("test error", vim, vib, higher_is_better=False)
    rows = []
    for row in paper.TABLE1:
        ours = summaries[row.label]
        p = fmt_p(comparison.p) if row.objective == "vim" else ""
        rows.append([row.label, fmt_paper(row.values["test_error"]), fmt(ours, 100), str(ours.n), p])
    section.body += [
        "Sweep `table1`: the 784-1024-1024-2K MLP, K = 256, σ = 1; test error with the softmax averaged "
        "over samples of z; ours is the mean ± std over seeds.", "",
        *markdown_table(["Model", "paper", "ours", "n", "Welch p, VIM vs VIB"], rows)]
    section.claims.append(claim("Table 1: VIM has a lower test error than VIB", comparison,
                                "VIM", "VIB", scale=100, unit="%"))
    return section


def _vim_vs_vibs(runs: list[RunResult], rows: tuple[PaperRow, ...], keys: list[tuple[str, str, bool]]):
    """Welch p-values of the VIM row against each VIB row, per metric, as table rows and comparisons."""
    vim_row = next(r for r in rows if r.objective == "vim")
    vim_runs = row_runs(runs, "tables2_3", vim_row)
    table, comparisons = [], []
    for vib_row in (r for r in rows if r.objective == "vib"):
        vib_runs = row_runs(runs, "tables2_3", vib_row)
        cells = [f"VIM vs {vib_row.label}"]
        for key, name, higher in keys:
            c = compare(name, summary_of(vim_runs, key), summary_of(vib_runs, key), higher)
            cells.append(fmt_p(c.p))
            comparisons.append((vib_row, c))
        table.append(cells)
    return table, comparisons


def table2_section(runs: list[RunResult], context: Context) -> Section:
    """Table 2: distances of the successful Carlini-Wagner L2 adversarials (higher is more robust)."""
    section = Section("Table 2 — robustness to the Carlini–Wagner L2 attack")
    if not select(runs, "tables2_3"):
        return _not_run(section, "tables2_3", "tables2_3.yaml", context)
    rows = []
    for row in paper.TABLE2:
        mine = row_runs(runs, "tables2_3", row)
        value = {key: summary_of(mine, ROBUSTNESS + key)
                 for key in ("l2", "l1_255", "l1", "linf", "success_rate")}
        rows.append([row.label, str(value["l2"].n), fmt(value["l2"]), fmt_paper(row.values["l2"]),
                     fmt(value["l1_255"], digits=0), fmt(value["l1"]), fmt_paper(row.values["l1"], 0),
                     fmt(value["linf"]), fmt_paper(row.values["linf"]), fmt(value["success_rate"], 100, 0)])
    keys = [(ROBUSTNESS + "l2", "L2", True), (ROBUSTNESS + "l1_255", "L1", True),
            (ROBUSTNESS + "linf", "L∞", True)]
    p_rows, comparisons = _vim_vs_vibs(runs, paper.TABLE2, keys)
    section.body += [
        "Sweep `tables2_3`: CW-L2 attack of the first ten zeros of the test set towards the label one; "
        "distances are averaged over the successful adversarials of a run, then mean ± std over seeds. "
        "Higher distance = more robust. " + paper.TABLE2_UNITS_NOTE, "",
        *markdown_table(["Model", "n", "L2 ours", "L2 paper", "L1 ours (0–255)", "L1 ours ([0,1])",
                         "L1 paper", "L∞ ours", "L∞ paper", "success rate (%)"], rows), "",
        "Welch p-values:", "", *markdown_table(["", "L2", "L1", "L∞"], p_rows)]
    for vib_row, c in comparisons:
        if c.metric in ("L2", "L∞"):  # the paper's claim: VIM is the most robust but in L1
            section.claims.append(claim(f"Table 2: VIM is more robust than {vib_row.label} in {c.metric}",
                                        c, "VIM", "VIB"))
    return section


def table3_section(runs: list[RunResult], context: Context) -> Section:
    """Table 3: clustering (ARI, cluster accuracy) and sparsity (Hoyer) of the representation."""
    section = Section("Table 3 — quality of the representation")
    if not select(runs, "tables2_3"):
        return _not_run(section, "tables2_3", "tables2_3.yaml", context)
    rows = []
    for row in paper.TABLE3:
        mine = row_runs(runs, "tables2_3", row)
        value = {key: summary_of(mine, REPRESENTATION + key) for key in ("ari", "cluster_accuracy", "hoyer")}
        rows.append([row.label, str(value["ari"].n), fmt(value["ari"], digits=3),
                     fmt(value["cluster_accuracy"], digits=3), fmt_paper(row.values["adjr"], 3),
                     fmt(value["hoyer"], digits=3), fmt_paper(row.values["hoyer"], 3)])
    keys = [(REPRESENTATION + "ari", "ARI", True),
            (REPRESENTATION + "cluster_accuracy", "cluster accuracy", True),
            (REPRESENTATION + "hoyer", "Hoyer", True)]
    p_rows, comparisons = _vim_vs_vibs(runs, paper.TABLE3, keys)
    section.body += [
        "Sweep `tables2_3`: k-means (k = 10) on the test set's mean embeddings; Hoyer sparsity of z / σ. "
        "The paper's \"adjR\" formula is a cluster accuracy, so both are shown beside it. Higher is better.",
        "", *markdown_table(["Model", "n", "ARI ours", "cluster accuracy ours", "adjR paper", "Hoyer ours",
                             "Hoyer paper"], rows), "",
        "Welch p-values:", "", *markdown_table(["", "ARI", "cluster accuracy", "Hoyer"], p_rows)]
    for vib_row, c in comparisons:
        section.claims.append(claim(f"Table 3: VIM has a higher {c.metric} than {vib_row.label}", c,
                                    "VIM", "VIB", digits=3))
    return section
