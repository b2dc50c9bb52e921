"""The report's sections for the paper's MNIST figures: Fig. 1 (error vs β) and Fig. 2 (K = 2).

Every β in the sweeps is shown, the wide-β runs (VIM at β up to 100) included; each
objective's β (and σ in Fig. 2) is chosen on the validation split, then compared on test.
"""

from __future__ import annotations

from vimax.report import paper
from vimax.report.claims import claim
from vimax.report.collect import RunResult, best_by_validation, group_by, select
from vimax.report.diagnostics import DIAGNOSTICS_HEADER, diagnostics_cell, ratio_of
from vimax.report.figures import Series, errorbar_figure
from vimax.report.format import (
    NOT_RUN,
    Context,
    Section,
    fmt,
    fmt_beta,
    fmt_p,
    fmt_paper,
    fmt_small,
    markdown_table,
    summary_of,
)
from vimax.report.stats import compare

__all__ = ["series_over", "fig1_section", "fig2_section", "image_lines", "best_setting"]

ERROR = "metrics.test_error"
FIG1_ARMS = (("vib", 1.0), ("vim", 1.0), ("vim", 2.0))


def series_over(runs: list[RunResult], label: str, axis: str, key: str) -> Series:
    """``key`` (mean ± std over seeds) at each value of ``axis`` ("beta" or "prior_std").

    VIB lines are dashed, so that they stay visible where they overlap VIM's.
    """
    points = [(x, summary_of(group, key)) for x, group in group_by(runs, axis).items() if x is not None]
    return Series(label, points, "--" if label.startswith("VIB") else "-")


def image_lines(context: Context, figures: list[tuple[str, object]]) -> list[str]:
    """Markdown images of the figures written (a figure with no data is left out)."""
    return [f"![{alt}]({context.link(path)})" for alt, path in figures if path is not None]


def best_setting(runs: list[RunResult]) -> tuple[tuple[float, float] | None, list[RunResult]]:
    """The (β, σ) with the lowest mean validation error among ``runs``, and its runs."""
    groups: dict = {}
    for run in runs:
        groups.setdefault((run.beta, run.prior_std), []).append(run)
    best = best_by_validation(groups)
    return best, groups.get(best, [])


def _fig1_table(chosen: dict[tuple[str, float], list[RunResult]]) -> list[str]:
    betas = sorted({b for group in chosen.values() for b in group_by(group, "beta") if b is not None})
    rows = []
    for beta in betas:
        at = {key: select(group, beta=beta) for key, group in chosen.items()}
        sums = {key: summary_of(group, ERROR) for key, group in at.items()}
        p = compare("error", sums[("vim", 1.0)], sums[("vib", 1.0)], False).p
        ratios = [ratio_of(group).mean for group in at.values()]
        ratio = "—" if all(r is None for r in ratios) else " · ".join(fmt_small(r) for r in ratios)
        rows.append([fmt_beta(beta), *(fmt(sums[k], 100) for k in chosen), fmt_p(p), ratio])
    return markdown_table(["β", "VIB σ = 1", "VIM σ = 1", "VIM σ = 2", "Welch p, VIM vs VIB (σ = 1)",
                           "grad ratio: VIB σ = 1 · VIM σ = 1 · VIM σ = 2"], rows)


def fig1_section(runs: list[RunResult], context: Context) -> Section:
    """Fig. 1: test error vs β, (a) VIB and VIM at σ = 1, (b) VIM at σ = 1 and 2."""
    section = Section("Figure 1 — MNIST test error vs β")
    chosen = {(o, s): select(runs, "fig1", objective=o, prior_std=s) for o, s in FIG1_ARMS}
    if not any(chosen.values()):
        section.body.append(f"Not run: no finished run of sweep `fig1` with profile `{context.profile}`.")
        return section
    lines = {key: series_over(group, f"{key[0].upper()} σ = {key[1]:g}", "beta", ERROR)
             for key, group in chosen.items()}
    stars = (("paper, Table 1: VIB", 1e-3, 1.13, "C0"), ("paper, Table 1: VIM", 1e-3, 1.10, "C1"))
    fig_a = errorbar_figure([lines[("vib", 1.0)], lines[("vim", 1.0)]], context.folder / "fig1a.png",
                            "Fig. 1a: VIB and VIM, σ = 1", "β", "test error (%)", scale=100, references=stars)
    fig_b = errorbar_figure([lines[("vim", 1.0)], lines[("vim", 2.0)]], context.folder / "fig1b.png",
                            "Fig. 1b: VIM, σ = 1 and σ = 2", "β", "test error (%)", scale=100)
    section.body += [
        "Sweep `fig1` (K = 256): test error (%) as mean ± std over seeds, at every β run. "
        + paper.FIG1_TEXT, "",
        *image_lines(context, [("Fig. 1a", fig_a), ("Fig. 1b", fig_b)]), "", *_fig1_table(chosen)]
    best = {o: best_by_validation(group_by(chosen[(o, 1.0)], "beta")) for o in ("vim", "vib")}
    if None not in best.values():
        vim = summary_of(select(chosen[("vim", 1.0)], beta=best["vim"]), ERROR)
        vib = summary_of(select(chosen[("vib", 1.0)], beta=best["vib"]), ERROR)
        section.claims.append(claim(
            "Fig. 1: the best VIM beats the best VIB (σ = 1, β of each chosen on validation)",
            compare("test error", vim, vib, False), f"VIM (β = {fmt_beta(best['vim'])})",
            f"VIB (β = {fmt_beta(best['vib'])})", scale=100, unit="%",
            paper=paper.TABLE1[-1].values["test_error"] - paper.TABLE1[-2].values["test_error"]))
    return section


def _fig2_row(runs: list[RunResult], row: paper.PaperRow) -> tuple[list[str], list, object]:
    """Our row for one objective of Fig. 2: (β, σ) chosen on validation, values, and its latent plot."""
    mine = select(runs, "fig2", objective=row.objective)
    setting = None
    if row.objective != "deterministic":
        setting, mine = best_setting(mine)
    keys = (ERROR, "evaluation.representation.ari", "evaluation.representation.cluster_accuracy",
            "evaluation.representation.hoyer")
    s = [summary_of(mine, key) for key in keys]
    plot = next((r.path / "latent.png" for r in sorted(mine, key=lambda r: r.seed)
                 if (r.path / "latent.png").is_file()), None)
    shown = NOT_RUN if not mine else ("—" if setting is None else f"{fmt_beta(setting[0])}, {setting[1]:g}")
    cells = [row.label, shown, str(s[0].n), fmt(s[0], 100), fmt_paper(row.values["test_error"]),
             fmt(s[1], digits=3), fmt(s[2], digits=3), fmt_paper(row.values["adjr"], 3), fmt(s[3], digits=3),
             fmt_paper(row.values["hoyer"], 3), diagnostics_cell(mine)]
    return cells, s, plot


def _fig2_betas(runs: list[RunResult], context: Context) -> list[str]:
    """Fig. 2's test error vs β for each (objective, σ), when an objective was run at several β."""
    arms = {(r.objective, r.prior_std) for r in runs if r.objective in ("vib", "vim")}
    lines = {f"{o.upper()} σ = {s:g}": select(runs, objective=o, prior_std=s) for o, s in sorted(arms)}
    if all(len(group_by(group, "beta")) < 2 for group in lines.values()):
        return []
    figure = errorbar_figure([series_over(g, label, "beta", ERROR) for label, g in lines.items()],
                             context.folder / "fig2_beta.png", "Fig. 2 (K = 2): test error vs β", "β",
                             "test error (%)", scale=100)
    betas = sorted({b for g in lines.values() for b in group_by(g, "beta") if b is not None})
    rows = [[fmt_beta(b), *(fmt(summary_of(select(g, beta=b), ERROR), 100) for g in lines.values())]
            for b in betas]
    return ["", "Test error (%) at every β and σ run (K = 2):", "",
            *image_lines(context, [("Fig. 2, error vs β", figure)]), "",
            *markdown_table(["β", *lines], rows)]


def fig2_section(runs: list[RunResult], context: Context) -> Section:
    """Fig. 2: K = 2 — test error, ARI and Hoyer of the baseline, VIB and VIM, and their latent plots."""
    section = Section("Figure 2 — two-dimensional latent space (K = 2)")
    if not select(runs, "fig2"):
        section.body.append(f"Not run: no finished run of sweep `fig2` with profile `{context.profile}`.")
        return section
    rows, values, plots = [], {}, []
    for row in paper.FIG2:
        cells, summaries, plot = _fig2_row(runs, row)
        rows.append(cells)
        values[row.objective] = summaries
        plots.append((f"{row.label}: test-set latent means", plot))
    section.body += [
        "Sweep `fig2`: β and σ of VIB and VIM chosen on the validation split (the paper gives neither); "
        "error in %, mean ± std over seeds; the paper's values are from the captions of its Fig. 2.", "",
        *markdown_table(["Model", "β, σ", "n", "error ours", "error paper", "ARI ours", "cluster acc. ours",
                         "adjR paper", "Hoyer ours", "Hoyer paper", DIAGNOSTICS_HEADER], rows), "",
        *image_lines(context, plots), *_fig2_betas(select(runs, "fig2"), context)]
    vim_paper, vib_paper = paper.FIG2[2].values, paper.FIG2[1].values
    for index, (name, higher, scale, digits, key) in enumerate(
            (("test error", False, 100, 2, "test_error"), ("ARI", True, 1, 3, "adjr"),
             ("Hoyer", True, 1, 3, "hoyer"))):
        column = 3 if name == "Hoyer" else index
        c = compare(name, values["vim"][column], values["vib"][column], higher)
        section.claims.append(claim(f"Fig. 2: VIM has a {'higher' if higher else 'lower'} {name} than VIB",
                                    c, "VIM", "VIB", scale, digits, "%" if scale == 100 else "",
                                    paper=vim_paper[key] - vib_paper[key]))
    return section
