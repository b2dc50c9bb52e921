"""The report's CIFAR-10 section (§4.2): Fig. 4a, 4b and 3 with seeds, the paper's claims, the β scale.

The runs are issue 13's plan (:mod:`vimax.report.cifar_plan`); the claims and their verdicts are
:mod:`vimax.report.cifar_claims`; the note on the β scale is :mod:`vimax.report.cifar_scale`.
A value from a single seed is marked "one seed" (in figures: "(one seed)" in the legend, or a
hollow point on a line whose other points have more seeds).
"""

from __future__ import annotations

import math

from vimax.report import cifar_plan as plan
from vimax.report.cifar_claims import (
    COLLAPSED,
    ERROR,
    VAL_ERROR,
    ari,
    best_claims,
    compared_points,
    hoyer,
    representation_claims,
    sigma_claims,
    value_text,
)
from vimax.report.cifar_scale import scale_lines
from vimax.report.collect import RunResult, group_by, select
from vimax.report.figures import Series, errorbar_figure
from vimax.report.format import Context, Section, fmt, fmt_beta, fmt_duration, markdown_table, summary_of
from vimax.report.mnist_figures import image_lines, series_over

__all__ = ["cifar_section", "SWEEP"]

SWEEP = plan.SWEEP
LINES = tuple((o, s) for o in ("vim", "vib") for s in plan.FIG3_SIGMAS)  # both σ of each objective


def _width_note(runs: list[RunResult]) -> str:
    widths = sorted({run.value("config.model.width") or 1.0 for run in runs})
    if widths == [1.0]:
        return "The CNN of Table 4 at full width."
    return (f"**Reduced width:** the CNN's channels are scaled by {', '.join(f'{w:g}' for w in widths)} "
            "(the cpu profile), so these are not the paper's network's numbers.")


def _name(objective: str, sigma: float) -> str:
    return f"{objective.upper()} σ = {sigma:g}"


def _grid_table(lines: dict[str, list[RunResult]], axis: str, header: str, cell,
                planned: dict[str, tuple[float, ...]] | None = None) -> list[str]:
    """One row per value of ``axis`` ("beta" or "prior_std"), one column per line; ``cell`` words a group.

    ``planned`` gives a line's values in the plan: an empty cell outside them reads "not in the plan"
    (VIB's β grid ends at 1, where it collapses), not "not run".
    """
    values = sorted({x for group in lines.values() for x in group_by(group, axis) if x is not None})

    def text(label: str, group: list[RunResult], x: float) -> str:
        chosen = select(group, **{axis: x})
        if not chosen and planned and label in planned and not any(
                math.isclose(x, v, rel_tol=1e-9) for v in planned[label]):
            return "not in the plan"
        return cell(chosen)

    rows = [[fmt_beta(x) if axis == "beta" else f"{x:g}",
             *(text(label, group, x) for label, group in lines.items())] for x in values]
    return markdown_table([header, *lines], rows)


def _representation_cell(group: list[RunResult]) -> str:
    a, h = summary_of(group, ari), summary_of(group, hoyer)
    if not group:
        return "not run"
    if h.n == 0:
        return "not evaluated"
    return f"{fmt(a, digits=3)} · {value_text(h, 1, 3)}"


def _fig4a_limits(series: list[Series]) -> tuple[tuple[float, float] | None, str]:
    """A y range (%) without the collapsed points and a note naming them; (None, "") if none collapsed."""
    kept, off = [], []
    for line in series:
        for x, s in line.finished:
            (off if s.mean >= COLLAPSED else kept).append((line.label, x, s))
    if not off or not kept:
        return None, ""
    low = min(100 * (s.mean - (s.std or 0)) for _, _, s in kept)
    high = max(100 * (s.mean + (s.std or 0)) for _, _, s in kept)
    pad = max(0.5, 0.1 * (high - low))
    note = "off the axis (at chance): " + "; ".join(f"{label}, β = {fmt_beta(x)}: {100 * s.mean:.1f} %"
                                                    for label, x, s in off)
    return (low - pad, high + pad), note


def _chance_note(lines: dict[str, list[RunResult]]) -> str:
    """Fig. 3's note naming the points of models at chance (validation error ≥ :data:`COLLAPSED`): their
    ARI and Hoyer describe no class information, and the claims leave them out; "" if there are none."""
    off = [f"{label}, β = {fmt_beta(beta)}" for label, group in lines.items()
           for beta, runs in sorted(group_by(group, "beta").items())
           if beta is not None and (summary_of(runs, VAL_ERROR).mean or 0.0) >= COLLAPSED]
    return (f"at chance (validation error ≥ {100 * COLLAPSED:.0f} %), not a representation: " + "; ".join(off)
            if off else "")


def _figures(mine: list[RunResult], context: Context, baseline) -> list[tuple[str, object]]:
    folder = context.folder
    lines = {_name(o, s): select(mine, objective=o, prior_std=s) for o, s in LINES}
    fig4b = {f"{o.upper()} β = 1": select(mine, objective=o, beta=1.0) for o in ("vim", "vib")}
    baseline_line = ((f"deterministic ({'one seed' if baseline.n == 1 else f'n = {baseline.n}'})",
                      baseline.mean),) if baseline.n else ()
    errors = [series_over(g, k, "beta", ERROR) for k, g in lines.items()]
    ylim, note = _fig4a_limits(errors)
    chance = _chance_note(lines)
    return [
        ("Fig. 4a", errorbar_figure(errors, folder / "cifar10_fig4a.png", "Fig. 4a: CIFAR-10 test error vs β",
                                    "β", "test error (%)", scale=100, baselines=baseline_line, ylim=ylim,
                                    note=note)),
        ("Fig. 4b", errorbar_figure([series_over(g, k, "prior_std", ERROR) for k, g in fig4b.items()],
                                    folder / "cifar10_fig4b.png", "Fig. 4b: CIFAR-10 test error vs σ (β = 1)",
                                    "σ", "test error (%)", logx=False, scale=100, baselines=baseline_line)),
        ("Fig. 3a", errorbar_figure([series_over(g, k, "beta", ari) for k, g in lines.items()],
                                    folder / "cifar10_fig3a.png", "Fig. 3a: adjusted Rand index vs β", "β",
                                    "ARI", note=chance)),
        ("Fig. 3b", errorbar_figure([series_over(g, k, "beta", hoyer) for k, g in lines.items()],
                                    folder / "cifar10_fig3b.png", "Fig. 3b: Hoyer sparsity vs β", "β",
                                    "Hoyer", note=chance)),
    ]


def _plan_lines(runs: list[RunResult], chosen: dict, profile: str) -> list[str]:
    """Issue 13's plan: each part's runs, how many have finished, and the command for the rest."""
    compared = [p for o, s in chosen.items() for p in compared_points(runs, o, s)]
    parts = (("1. σ at β = 1e-3 (VIM and VIB at σ 0.5, 1, 2.5), 3 seeds",
              plan.sigma_claim_points("vim") + plan.sigma_claim_points("vib")),
             ("2. Fig. 3 and 4a (σ 0.5 and 2.5 of each over β, VIM to β = 100), one seed",
              plan.figure_points("vim") + plan.figure_points("vib")),
             ("3. Fig. 4b (β = 1, σ 0.5-3), one seed", plan.fig4b_points("vim") + plan.fig4b_points("vib")),
             ("4. the validation-best (β, σ) of each, its best other model by Hoyer (Fig. 3), and the "
              "deterministic baseline, 3 seeds", compared + plan.baseline_points()))
    rows, commands, everything = [], [], []
    for title, points in parts:
        points = list(dict.fromkeys(points))
        needed = plan.missing(runs, points)
        everything += [p for p in needed if p not in everything]
        rows.append([title, str(len(points)), str(len(points) - len(needed)), str(len(needed))])
        if needed and profile == plan.PLAN_PROFILE:
            commands.append(f"- Part {title.split('.')[0]}: `{plan.command(needed, profile)}`")
        elif needed:
            commands.append(f"- Part {title.split('.')[0]}: " + "; ".join(plan.names(needed, profile)))
    timed = [run for run in select(runs, SWEEP) if run.value("metrics.train_seconds")
             and not (run.metrics or {}).get("reused_from")]
    cost = ""
    if timed:
        seconds = [run.value("metrics.train_seconds") + (run.value("evaluation.seconds") or 0.0)
                   for run in timed]
        mean = sum(seconds) / len(seconds)
        if everything:
            cost = (f" One run takes {fmt_duration(mean)} here (training and evaluation, mean of "
                    f"{len(timed)} runs), so the {len(everything)} missing runs need about "
                    f"{fmt_duration(mean * len(everything))} on one core, half that with `--jobs 2`.")
        else:
            cost = (f" Every planned run has finished: one run took {fmt_duration(mean)} of one core "
                    f"(training and evaluation, mean of {len(timed)} runs, {fmt_duration(min(seconds))} to "
                    f"{fmt_duration(max(seconds))} as machines and their load varied), "
                    f"{fmt_duration(sum(seconds))} in all.")
    lines = [f"**Issue 13's plan** (sweep file `{plan.SWEEP_FILE}`, profile `{plan.PLAN_PROFILE}`; part 4 "
             "follows the current validation-best settings, so it changes while parts 1-3 are running; "
             "`vimax report results --pending` prints the ids of the runs left)."
             + cost, "",
             *markdown_table(["part", "planned runs", "finished", "missing"], rows)]
    if commands:
        lines += ["", "Commands for the missing runs (finished runs are skipped; `--match` takes exact run "
                  "ids):", "", *commands]
    return lines


def cifar_section(runs: list[RunResult], context: Context) -> Section:
    """Fig. 4a (error vs β), Fig. 4b (error vs σ at β = 1), Fig. 3 (ARI and Hoyer vs β), the claims of
    §4.2 with their verdicts, and the note on the β scale."""
    section = Section("CIFAR-10 — Figures 4 and 3")
    mine = select(runs, SWEEP)
    if not mine:
        section.body.append(f"Not run: no finished run of sweep `{SWEEP}` with profile `{context.profile}`.")
        return section
    profile = context.profile
    baseline = summary_of(select(mine, objective="deterministic"), ERROR)
    lines = {_name(o, s): select(mine, objective=o, prior_std=s) for o, s in LINES}
    planned = {_name(o, s): plan.BETAS[o] for o, s in LINES}
    sigma = {o: sigma_claims(mine, o, profile) for o in ("vim", "vib")}
    best, best_lines, chosen = best_claims(mine, profile)
    representation, representation_lines = representation_claims(mine, chosen, profile)
    section.body += [
        f"Sweep `{SWEEP}`: test error (%) as mean ± std over seeds; a value from a single seed is marked "
        "**one seed** (no spread, no test; hollow points in the figures). "
        f"{_width_note(mine)} The paper gives these figures as plots only. The deterministic baseline (the "
        f"same CNN, no noise or regulariser): {value_text(baseline, unit=' %')}.", "",
        *_plan_lines(mine, chosen, profile), "",
        *image_lines(context, _figures(mine, context, baseline)), "",
        "### Test error (Fig. 4)", "",
        "Fig. 4a, test error (%) vs β, both σ of each objective:", "",
        *_grid_table(lines, "beta", "β", lambda g: value_text(summary_of(g, ERROR)), planned), "",
        "Fig. 4b, test error (%) vs σ at β = 1:", "",
        *_grid_table({"VIM β = 1": select(mine, objective="vim", beta=1.0),
                      "VIB β = 1": select(mine, objective="vib", beta=1.0)}, "prior_std", "σ",
                     lambda g: value_text(summary_of(g, ERROR))), "",
        "### Representation (Fig. 3)", "",
        "ARI · Hoyer of the test set's mean embeddings vs β (k-means, k = 10; the headline Hoyer):", "",
        *_grid_table(lines, "beta", "β", _representation_cell, planned), "",
        "### The paper's claims", "",
        f"σ at the paper's β = {fmt_beta(plan.PAPER_BETA)} (test error and validation error, %):", "",
        *markdown_table(["objective", "σ", "test error (%)", "validation error (%)"],
                        sigma["vim"][1] + sigma["vib"][1]), "",
        *best_lines, *representation_lines, "",
        "### The β scale", "", *scale_lines(mine, profile)]
    section.claims += [*sigma["vim"][0], *sigma["vib"][0], *best, *representation]
    return section
