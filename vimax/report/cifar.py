"""The report's CIFAR-10 section (§4.2): Fig. 4a, Fig. 4b and Fig. 3."""

from __future__ import annotations

from vimax.report import paper
from vimax.report.claims import Claim, claim, note
from vimax.report.collect import RunResult, group_by, select
from vimax.report.figures import errorbar_figure
from vimax.report.format import (
    Context,
    Section,
    fmt,
    fmt_beta,
    fmt_p,
    markdown_table,
    summary_of,
)
from vimax.report.mnist_figures import ERROR, best_setting, image_lines, series_over
from vimax.report.stats import compare

__all__ = ["cifar_section"]

SWEEP = "cifar10"
FIG3_SIGMAS = (0.5, 2.5)


def _width_note(runs: list[RunResult]) -> str:
    widths = sorted({run.value("config.model.width") or 1.0 for run in runs})
    if widths == [1.0]:
        return "The CNN of Table 4 at full width."
    return (f"**Reduced width:** the CNN's channels are scaled by {', '.join(f'{w:g}' for w in widths)} "
            "(the cpu profile), so these are not the paper's network's numbers.")


def _table(runs_by_line: dict[str, list[RunResult]], axis: str, name: str) -> list[str]:
    """Error (%) per value of ``axis``, one column per line, and Welch's p of the first two."""
    values = sorted({x for group in runs_by_line.values() for x in group_by(group, axis) if x is not None})
    labels = list(runs_by_line)
    rows = []
    for x in values:
        sums = [summary_of(select(group, **{axis: x}), ERROR) for group in runs_by_line.values()]
        p = compare("error", sums[0], sums[1], False).p if len(sums) > 1 else None
        rows.append([fmt_beta(x) if axis == "beta" else f"{x:g}", *(fmt(s, 100) for s in sums), fmt_p(p)])
    return markdown_table([name, *labels, f"Welch p, {labels[0]} vs {labels[1]}"], rows)


def _claims(runs: list[RunResult]) -> list[Claim]:
    by_objective = {name: select(runs, SWEEP, objective=name) for name in ("vim", "vib")}
    vim, vim_runs = best_setting(by_objective["vim"])
    vib, vib_runs = best_setting(by_objective["vib"])
    if vim is None or vib is None:
        return [note("CIFAR-10", "**CIFAR-10: not run yet** — no finished VIM or VIB runs.")]
    c = compare("test error", summary_of(vim_runs, ERROR), summary_of(vib_runs, ERROR), False)
    ref = paper.CIFAR_TEXT
    same = (vim[1], vib[1]) == (ref["vim_best_sigma"], ref["vib_best_sigma"])
    sigmas = {name: sorted({run.prior_std for run in group}) for name, group in by_objective.items()}
    compared = all(len(values) > 1 for values in sigmas.values())
    text = (f"**CIFAR-10, best hyper-parameters:** on validation, VIM is best at σ = {vim[1]:g} "
            f"(paper: {ref['vim_best_sigma']:g}) and β = {fmt_beta(vim[0])}; VIB at σ = {vib[1]:g} "
            f"(paper: {ref['vib_best_sigma']:g}) and β = {fmt_beta(vib[0])} (paper: β = "
            f"{fmt_beta(ref['best_beta'])} for both), among σ "
            + "; ".join(f"{', '.join(f'{v:g}' for v in values)} ({name.upper()})"
                        for name, values in sigmas.items()) + ". "
            + ("σ is not compared yet: an objective has runs at one σ only." if not compared
               else "The same σ wins as in the paper for both." if same
               else "The σ that wins differs from the paper's for at least one objective."))
    return [
        claim("CIFAR-10: the best VIM beats the best VIB ((β, σ) of each chosen on validation)", c,
              f"VIM (β = {fmt_beta(vim[0])}, σ = {vim[1]:g})",
              f"VIB (β = {fmt_beta(vib[0])}, σ = {vib[1]:g})",
              100, unit="%"),
        note("CIFAR-10: best hyper-parameters", text),
    ]


def cifar_section(runs: list[RunResult], context: Context) -> Section:
    """Fig. 4a (error vs β), Fig. 4b (error vs σ at β = 1), Fig. 3 (ARI and Hoyer vs β)."""
    section = Section("CIFAR-10 — Figures 4 and 3")
    mine = select(runs, SWEEP)
    if not mine:
        section.body.append(f"Not run: no finished run of sweep `{SWEEP}` with profile `{context.profile}`.")
        return section
    fig4a = {"VIM σ = 2.5": select(mine, objective="vim", prior_std=2.5),
             "VIB σ = 0.5": select(mine, objective="vib", prior_std=0.5)}
    fig4b = {"VIM β = 1": select(mine, objective="vim", beta=1.0),
             "VIB β = 1": select(mine, objective="vib", beta=1.0)}
    fig3 = {f"{o.upper()} σ = {s:g}": select(mine, objective=o, prior_std=s)
            for o in ("vim", "vib") for s in FIG3_SIGMAS}
    folder = context.folder
    baseline = summary_of(select(mine, objective="deterministic"), ERROR)
    baseline_line = ((f"deterministic (n = {baseline.n})", baseline.mean),) if baseline.n else ()
    figures = [
        ("Fig. 4a", errorbar_figure([series_over(g, k, "beta", ERROR) for k, g in fig4a.items()],
                                    folder / "cifar10_fig4a.png", "Fig. 4a: CIFAR-10 test error vs β", "β",
                                    "test error (%)", scale=100, baselines=baseline_line)),
        ("Fig. 4b", errorbar_figure([series_over(g, k, "prior_std", ERROR) for k, g in fig4b.items()],
                                    folder / "cifar10_fig4b.png", "Fig. 4b: CIFAR-10 test error vs σ (β = 1)",
                                    "σ", "test error (%)", logx=False, scale=100, baselines=baseline_line)),
        ("Fig. 3a", errorbar_figure([series_over(g, k, "beta", "evaluation.representation.ari")
                                     for k, g in fig3.items()], folder / "cifar10_fig3a.png",
                                    "Fig. 3a: adjusted Rand index vs β", "β", "ARI")),
        ("Fig. 3b", errorbar_figure([series_over(g, k, "beta", "evaluation.representation.hoyer")
                                     for k, g in fig3.items()], folder / "cifar10_fig3b.png",
                                    "Fig. 3b: Hoyer sparsity vs β", "β", "Hoyer")),
    ]
    baseline_note = (f" The deterministic baseline (the same CNN, no noise or regulariser): "
                     f"{fmt(baseline, 100)}% (n = {baseline.n})." if baseline.n else "")
    section.body += [
        f"Sweep `{SWEEP}`: test error (%) as mean ± std over seeds. {_width_note(mine)} "
        f"The paper gives these figures as plots only.{baseline_note}", "",
        *image_lines(context, figures), "",
        "Fig. 4a, test error (%) vs β:", "", *_table(fig4a, "beta", "β"), "",
        "Fig. 4b, test error (%) vs σ at β = 1:", "", *_table(fig4b, "prior_std", "σ")]
    section.claims += _claims(mine)
    return section
