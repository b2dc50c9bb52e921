"""The report's sections for the paper's MNIST figures: Fig. 1 (error vs β) and Fig. 2 (K = 2)."""

from __future__ import annotations

from vimax.report import paper
from vimax.report.collect import RunResult, best_by_validation, group_by, select
from vimax.report.figures import Series, errorbar_figure
from vimax.report.format import (
    NOT_RUN,
    Context,
    Section,
    claim,
    fmt,
    fmt_beta,
    fmt_p,
    fmt_paper,
    markdown_table,
    summary_of,
)
from vimax.report.stats import compare

__all__ = ["series_over", "fig1_section", "fig2_section", "image_lines"]

ERROR = "metrics.test_error"


def series_over(runs: list[RunResult], label: str, axis: str, key: str) -> Series:
    """``key`` (mean ± std over seeds) at each value of ``axis`` ("beta" or "prior_std").

    VIB lines are dashed, so that they stay visible where they overlap VIM's.
    """
    points = [(x, summary_of(group, key)) for x, group in group_by(runs, axis).items() if x is not None]
    return Series(label, points, "--" if label.startswith("VIB") else "-")


def image_lines(context: Context, figures: list[tuple[str, object]]) -> list[str]:
    """Markdown images of the figures written (a figure with no data is left out)."""
    return [f"![{alt}]({context.link(path)})" for alt, path in figures if path is not None]


def fig1_section(runs: list[RunResult], context: Context) -> Section:
    """Fig. 1: test error vs β, (a) VIB and VIM at σ = 1, (b) VIM at σ = 1 and 2."""
    section = Section("Figure 1 — MNIST test error vs β")
    chosen = {(o, s): select(runs, "fig1", objective=o, prior_std=s)
              for o, s in (("vib", 1.0), ("vim", 1.0), ("vim", 2.0))}
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
    betas = sorted({b for group in chosen.values() for b in group_by(group, "beta") if b is not None})
    rows = []
    for beta in betas:
        at = {key: select(group, beta=beta) for key, group in chosen.items()}
        sums = {key: summary_of(group, ERROR) for key, group in at.items()}
        p = compare("error", sums[("vim", 1.0)], sums[("vib", 1.0)], False).p
        rows.append([fmt_beta(beta), *(fmt(sums[k], 100) for k in chosen), fmt_p(p)])
    section.body += [
        "Sweep `fig1` (K = 256): test error (%) as mean ± std over seeds. " + paper.FIG1_TEXT, "",
        *image_lines(context, [("Fig. 1a", fig_a), ("Fig. 1b", fig_b)]), "",
        *markdown_table(["β", "VIB σ = 1", "VIM σ = 1", "VIM σ = 2", "Welch p, VIM vs VIB (σ = 1)"], rows)]
    best = {o: best_by_validation(group_by(chosen[(o, 1.0)], "beta")) for o in ("vim", "vib")}
    if None not in best.values():
        vim = summary_of(select(chosen[("vim", 1.0)], beta=best["vim"]), ERROR)
        vib = summary_of(select(chosen[("vib", 1.0)], beta=best["vib"]), ERROR)
        section.claims.append(claim(
            "Fig. 1: the best VIM beats the best VIB (σ = 1, β of each chosen on validation)",
            compare("test error", vim, vib, False), f"VIM (β = {fmt_beta(best['vim'])})",
            f"VIB (β = {fmt_beta(best['vib'])})", scale=100, unit="%"))
    return section


def _fig2_row(runs: list[RunResult], row: paper.PaperRow, context: Context) -> tuple[list[str], list, object]:
    """Our row for one objective of Fig. 2: σ chosen on validation, values, and its latent plot."""
    mine = select(runs, "fig2", objective=row.objective)
    sigma = best_by_validation(group_by(mine, "prior_std"))
    if row.objective != "deterministic":
        mine = select(mine, prior_std=sigma) if sigma is not None else []
    keys = (ERROR, "evaluation.representation.ari", "evaluation.representation.cluster_accuracy",
            "evaluation.representation.hoyer")
    s = [summary_of(mine, key) for key in keys]
    plot = next((r.path / "latent.png" for r in sorted(mine, key=lambda r: r.seed)
                 if (r.path / "latent.png").is_file()), None)
    shown = NOT_RUN if not mine else ("—" if row.objective == "deterministic" else f"{sigma:g}")
    cells = [row.label, shown, str(s[0].n), fmt(s[0], 100), fmt_paper(row.values["test_error"]),
             fmt(s[1], digits=3), fmt(s[2], digits=3), fmt_paper(row.values["adjr"], 3), fmt(s[3], digits=3),
             fmt_paper(row.values["hoyer"], 3)]
    return cells, s, plot


def fig2_section(runs: list[RunResult], context: Context) -> Section:
    """Fig. 2: K = 2 — test error, ARI and Hoyer of the baseline, VIB and VIM, and their latent plots."""
    section = Section("Figure 2 — two-dimensional latent space (K = 2)")
    if not select(runs, "fig2"):
        section.body.append(f"Not run: no finished run of sweep `fig2` with profile `{context.profile}`.")
        return section
    rows, values, plots = [], {}, []
    for row in paper.FIG2:
        cells, summaries, plot = _fig2_row(runs, row, context)
        rows.append(cells)
        values[row.objective] = summaries
        plots.append((f"{row.label}: test-set latent means", plot))
    section.body += [
        "Sweep `fig2`: σ of VIB and VIM chosen on the validation split (the paper does not give it); "
        "error in %, mean ± std over seeds; the paper's values are from the captions of its Fig. 2.", "",
        *markdown_table(["Model", "σ", "n", "error ours", "error paper", "ARI ours", "cluster acc. ours",
                         "adjR paper", "Hoyer ours", "Hoyer paper"], rows), "",
        *image_lines(context, plots)]
    for index, (name, higher, scale, digits) in enumerate(
            (("test error", False, 100, 2), ("ARI", True, 1, 3), ("Hoyer", True, 1, 3))):
        key = 3 if name == "Hoyer" else index
        c = compare(name, values["vim"][key], values["vib"][key], higher)
        section.claims.append(claim(f"Fig. 2: VIM has a {'higher' if higher else 'lower'} {name} than VIB",
                                    c, "VIM", "VIB", scale, digits, "%" if scale == 100 else ""))
    return section
