"""PNG figures of the report: a metric against a hyper-parameter, mean ± std over seeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vimax.atomic import atomic_write
from vimax.report.stats import Summary

__all__ = ["Series", "errorbar_figure", "seeds_label"]


@dataclass
class Series:
    """One line of a figure: (x, Summary over seeds) points, plotted as mean ± std."""

    label: str
    points: list[tuple[float, Summary]] = field(default_factory=list)
    linestyle: str = "-"

    @property
    def finished(self) -> list[tuple[float, Summary]]:
        return sorted((x, s) for x, s in self.points if s.mean is not None)


def seeds_label(series: Series) -> str:
    """The series' label with its number of seeds: "VIM (n = 3)", "VIB (n = 2–3)", "VIM (one seed)";
    with "○ = one seed" when only some of its points have a single seed (drawn hollow)."""
    counts = sorted({s.n for _, s in series.finished})
    if not counts:
        return series.label
    if counts == [1]:
        return f"{series.label} (one seed)"
    n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return f"{series.label} (n = {n}{', ○ = one seed' if counts[0] == 1 else ''})"


def errorbar_figure(
    series: list[Series],
    path: str | Path,
    title: str,
    xlabel: str,
    ylabel: str,
    logx: bool = True,
    scale: float = 1.0,
    references: tuple[tuple[str, float, float, str], ...] = (),
    baselines: tuple[tuple[str, float], ...] = (),
    ylim: tuple[float, float] | None = None,
    note: str = "",
) -> Path | None:
    """Plot each series as mean ± std (error bars) and write a PNG atomically.

    Args:
        scale: multiplies every value (100 turns an error rate into percent).
        references: (label, x, y, colour) points drawn as stars, e.g. the paper's numbers.
        baselines: (label, y) horizontal dashed lines, e.g. a deterministic baseline (y unscaled).
        ylim: the y range shown (scaled units), e.g. to keep a collapsed run from flattening the rest;
            ``note`` (a line of text in the figure) should then say what is off the axis.

    A point with one seed (no error bar) is drawn hollow when its line also has points with more.

    Returns the path written, or None when no series has a finished point.
    """
    if not any(s.finished for s in series):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.2), dpi=110)
    FigureCanvasAgg(figure)  # the Agg (file-only) canvas: no display, no global pyplot state
    axes = figure.add_subplot()
    for line in series:
        points = line.finished
        if not points:
            continue
        xs = [x for x, _ in points]
        means = [scale * s.mean for _, s in points]
        errors = [scale * (s.std or 0.0) for _, s in points]
        drawn = axes.errorbar(xs, means, yerr=errors, marker="o", markersize=4, capsize=3, linewidth=1.4,
                              linestyle=line.linestyle, label=seeds_label(line))
        single = [(x, m) for (x, s), m in zip(points, means, strict=True) if s.n == 1]
        if single and len(single) < len(points):
            axes.scatter([x for x, _ in single], [m for _, m in single], s=30, zorder=4, facecolors="white",
                         edgecolors=drawn.lines[0].get_color(), linewidths=1.2)
    for label, x, y, colour in references:
        axes.scatter([x], [y], marker="*", s=140, zorder=5, color=colour, edgecolors="black", linewidths=0.6,
                     label=label)
    for label, y in baselines:
        axes.axhline(scale * y, color="grey", linestyle="--", linewidth=1.0, label=label)
    if logx:
        axes.set_xscale("log")
    if ylim is not None:
        axes.set_ylim(*ylim)
    if note:
        axes.text(0.01, 0.01, note, transform=axes.transAxes, fontsize=7, va="bottom", ha="left",
                  color="dimgrey")
    axes.set_title(title, fontsize=11)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    path = Path(path)
    atomic_write(path, lambda handle: figure.savefig(handle, format="png"))
    return path
