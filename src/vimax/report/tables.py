"""The report's Table 1 (MNIST test error), and what Tables 1-3 share: their rows and scopes.

A :class:`Scope` says which runs a table reads (the cpu profile's sweeps by name, or the
paper schedule's runs of any sweep) and how its claims are named. Beside each row of the
paper, VIM at any other β (σ = 1) in the same runs gets a row of its own: the β chosen on
validation in Fig. 1, or a β = 10 run of the summed-MMD hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass

from vimax.report import paper
from vimax.report.claims import Claim, claim
from vimax.report.collect import RunResult, best_by_validation, group_by, select
from vimax.report.diagnostics import DIAGNOSTICS_HEADER, diagnostics_cell
from vimax.report.format import Context, Section, fmt, fmt_beta, fmt_p, fmt_paper, markdown_table, summary_of
from vimax.report.paper import PaperRow
from vimax.report.stats import compare

__all__ = ["Scope", "row_runs", "vim_rows", "vim_best", "not_run", "fig1_vim_best", "paper_gap",
           "table1_section"]

PAPER_BETA = 1e-3


@dataclass(frozen=True)
class Scope:
    """Which runs Tables 1-3 read, and how their claims are named.

    Attributes:
        table1, tables2_3: the sweep of each table; None reads runs of any sweep.
        prefix: put before each claim ("Paper schedule — ").
        vim_best: VIM's validation-best β in Fig. 1 (σ = 1), to name its row.
        level: the Markdown heading level of the sections.
    """

    table1: str | None = "table1"
    tables2_3: str | None = "tables2_3"
    prefix: str = ""
    vim_best: float | None = None
    level: int = 2


def fig1_vim_best(runs: list[RunResult]) -> float | None:
    """VIM's β with the lowest validation error in Fig. 1 (σ = 1)."""
    return best_by_validation(group_by(select(runs, "fig1", objective="vim", prior_std=1.0), "beta"))


def vim_best(runs: list[RunResult], scope: Scope) -> float | None:
    """The scope's VIM validation-best β, else the one of the Fig. 1 runs among ``runs``."""
    return scope.vim_best if scope.vim_best is not None else fig1_vim_best(runs)


def row_runs(runs: list[RunResult], sweep: str | None, row: PaperRow) -> list[RunResult]:
    """Our finished runs of a paper row: same objective, and same beta and sigma when it has them."""
    criteria = {"objective": row.objective}
    if row.beta is not None:
        criteria["beta"] = row.beta
    if row.prior_std is not None:
        criteria["prior_std"] = row.prior_std
    return select(runs, sweep, **criteria)


def vim_rows(runs: list[RunResult], sweep: str | None, rows: tuple[PaperRow, ...],
             vim_best: float | None) -> tuple[PaperRow, ...]:
    """The paper's rows, then VIM (σ = 1) at each other β found in ``sweep`` (no paper values);
    ``vim_best`` (VIM's validation-best β in Fig. 1) is named as such."""
    paper_vim = next(r for r in rows if r.objective == "vim")
    extra = []
    for beta in group_by(select(runs, sweep, objective="vim", prior_std=1.0), "beta"):
        if beta is None or beta == paper_vim.beta:
            continue
        best = "; validation-best in Fig. 1" if vim_best is not None and beta == vim_best else ""
        extra.append(PaperRow(f"VIM (β = {fmt_beta(beta)}, σ = 1{best})", "vim", beta, 1.0,
                              dict.fromkeys(paper_vim.values)))
    return (*rows, *extra)


def paper_gap(rows: tuple[PaperRow, ...], vib_row: PaperRow, key: str, scale: float = 1.0) -> float | None:
    """The paper's VIM (β = 1e-3) − ``vib_row`` on ``key``, in shown units, when it gives both."""
    vim = next(r for r in rows if r.objective == "vim").values.get(key)
    vib = vib_row.values.get(key)
    return None if vim is None or vib is None else scale * (vim - vib)


def not_run(section: Section, sweep: str | None, config: str, context: Context, scope: Scope) -> Section:
    where = f"sweep `{sweep}`" if sweep else "any sweep"
    section.body.append(f"Not run: no finished run of {where} with profile `{context.profile}` "
                        f"(`vimax sweep configs/{config} --profile {context.profile}`).")
    return section


def table1_section(runs: list[RunResult], context: Context, scope: Scope | None = None) -> Section:
    """Table 1: test error (%) of the baseline, three regularisers, VIB and VIM."""
    scope = scope or Scope()
    section = Section("Table 1 — MNIST test error (%)", level=scope.level)
    sweep = scope.table1
    if not select(runs, sweep):
        return not_run(section, sweep, "table1.yaml", context, scope)
    rows = vim_rows(runs, sweep, paper.TABLE1, vim_best(runs, scope))
    chosen = {row.label: row_runs(runs, sweep, row) for row in rows}
    summaries = {label: summary_of(group, "metrics.test_error") for label, group in chosen.items()}
    vib_row = next(r for r in rows if r.objective == "vib")
    claims: list[Claim] = []
    table = []
    for row in rows:
        ours, p = summaries[row.label], ""
        if row.objective == "vim":
            c = compare("test error", ours, summaries[vib_row.label], higher_is_better=False)
            p = fmt_p(c.p)
            name = "VIM" if row.beta == PAPER_BETA else f"VIM at β = {fmt_beta(row.beta)}"
            claims.append(claim(f"{scope.prefix}Table 1: {name} has a lower test error than VIB", c,
                                name, "VIB", scale=100, unit="%",
                                paper=paper_gap(paper.TABLE1, vib_row, "test_error")))
        table.append([row.label, fmt_paper(row.values["test_error"]), fmt(ours, 100), str(ours.n), p,
                      diagnostics_cell(chosen[row.label])])
    where = f"Sweep `{sweep}`" if sweep else "Runs"
    section.body += [
        f"{where}: the 784-1024-1024-2K MLP, K = 256, σ = 1; test error with the softmax averaged "
        "over samples of z; ours is the mean ± std over seeds.", "",
        *markdown_table(["Model", "paper", "ours", "n", "Welch p, VIM vs VIB", DIAGNOSTICS_HEADER], table)]
    section.claims += claims
    return section
