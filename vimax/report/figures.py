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
    """The series' label with its number of seeds: "VIM (n = 3)", "VIB (n = 2–3)"."""
    counts = sorted({s.n for _, s in series.finished})
    if not counts:
        return series.label
    n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
    return f"{series.label} (n = {n})"


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
) -> Path | None:
    """Plot each series as mean ± std (error bars) and write a PNG atomically.

    Args:
        scale: multiplies every value (100 turns an error rate into percent).
        references: (label, x, y, colour) points drawn as stars, e.g. the paper's numbers.
        baselines: (label, y) horizontal dashed lines, e.g. a deterministic baseline (y unscaled).

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
        axes.errorbar(xs, means, yerr=errors, marker="o", markersize=4, capsize=3, linewidth=1.4,
                      linestyle=line.linestyle, label=seeds_label(line))
    for label, x, y, colour in references:
        axes.scatter([x], [y], marker="*", s=140, zorder=5, color=colour, edgecolors="black", linewidths=0.6,
                     label=label)
    for label, y in baselines:
        axes.axhline(scale * y, color="grey", linestyle="--", linewidth=1.0, label=label)
    if logx:
        axes.set_xscale("log")
    axes.set_title(title, fontsize=11)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    path = Path(path)
    atomic_write(path, lambda handle: figure.savefig(handle, format="png"))
    return path
