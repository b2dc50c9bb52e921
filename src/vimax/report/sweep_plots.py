"""The figures of one sweep: its errors against each numeric axis, and its learning curves.

An axis figure has two panels, the validation and the test error (%) against the axis, one
line per combination of the other settings, each point the mean ± std over seeds (n in the
legend). The learning curves draw each setting's mean over seeds per epoch; a sweep of more
than :data:`MAX_LINES` settings gets one figure per variant.
"""

from __future__ import annotations

import re
from pathlib import Path

from vimax.atomic import atomic_write
from vimax.report.curves import curve_figure, mean_curve
from vimax.report.figures import Series, seeds_label
from vimax.report.format import summary_of
from vimax.report.varied import VARIANT, Setting, SweepSettings
from vimax.training.run_folder import RunFolder

__all__ = ["axis_figure", "axis_figures", "curve_figures", "log_axis", "MAX_LINES"]

MAX_LINES = 8
ERRORS = (("validation error (%)", "metrics.val_error"), ("test error (%)", "metrics.test_error"))
UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def log_axis(key: str, values: list[float]) -> bool:
    """Log x for β, and for positive values spanning two decades or more."""
    positive = bool(values) and min(values) > 0
    return positive and (key.endswith("beta") or max(values) / min(values) >= 100)


def _on_axis(table: SweepSettings, axis: str) -> list[Setting]:
    """The settings that have the axis (a run's objective may not take it, e.g. beta)."""
    return [setting for setting in table.settings if setting.values[axis] is not None]


def _lines(table: SweepSettings, axis: str, key: str) -> list[Series]:
    """One Series per combination of the settings other than ``axis``."""
    others = [c for c in table.columns if c != axis]
    lines: dict[str, Series] = {}
    for setting in _on_axis(table, axis):
        label = Setting({c: setting.values[c] for c in others}).label(others, table.names)
        lines.setdefault(label, Series(label)).points.append(
            (float(setting.values[axis]), summary_of(setting.runs, key)))
    return list(lines.values())


def axis_figure(table: SweepSettings, axis: str, path: Path, title: str) -> Path | None:
    """The validation and test errors against ``axis``; None when no run has finished."""
    panels = [(ylabel, _lines(table, axis, key)) for ylabel, key in ERRORS]
    if not any(line.finished for _, lines in panels for line in lines):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.2), dpi=100)
    FigureCanvasAgg(figure)
    xs = [float(s.values[axis]) for s in _on_axis(table, axis)]
    for index, (ylabel, lines) in enumerate(panels):
        axes = figure.add_subplot(1, 2, index + 1)
        for line in lines:
            points = line.finished
            if points:
                axes.errorbar([x for x, _ in points], [100 * s.mean for _, s in points],
                              yerr=[100 * (s.std or 0.0) for _, s in points], marker="o", markersize=4,
                              capsize=3, linewidth=1.3, label=seeds_label(line))
        if log_axis(axis, xs):
            axes.set_xscale("log")
        axes.set_xlabel(table.names[axis])
        axes.set_ylabel(ylabel)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7, frameon=False)
    figure.suptitle(f"{title} (mean ± std over seeds)", fontsize=11)
    figure.tight_layout()
    atomic_write(path, lambda handle: figure.savefig(handle, format="png"))
    return path


def axis_figures(table: SweepSettings, folder: Path, title: str) -> dict[str, Path]:
    """``error_vs_<axis>.png`` for each numeric axis, by axis key (those with a finished run)."""
    written = {}
    for axis in table.numeric_axes:
        name = f"error_vs_{UNSAFE.sub('-', table.names[axis])}.png"
        path = axis_figure(table, axis, folder / name, f"{title}: error against {table.names[axis]}")
        if path is not None:
            written[axis] = path
    return written


def _curve(setting: Setting, label: str):
    return mean_curve([RunFolder(run.path).read_history() for run in setting.runs], label)


def curve_figures(table: SweepSettings, folder: Path, title: str) -> list[Path]:
    """``curves.png`` (every setting's mean curve over seeds), or ``curves_<variant>.png`` per
    variant when there are more than MAX_LINES settings and the sweep has variants."""
    groups: dict[str, list[Setting]] = {"": table.settings}
    if len(table.settings) > MAX_LINES and VARIANT in table.columns:
        groups = {}
        for setting in table.settings:
            groups.setdefault(str(setting.values[VARIANT]), []).append(setting)
    written = []
    for group, settings in groups.items():
        columns = [c for c in table.columns if not (group and c == VARIANT)]
        curves = [_curve(s, s.label(columns, table.names)) for s in settings]
        name = f"curves_{UNSAFE.sub('-', group)}.png" if group else "curves.png"
        heading = f"{title}{f' ({group})' if group else ''}: learning curves (mean over seeds)"
        path = curve_figure(curves, folder / name, heading)
        if path is not None:
            written.append(path)
    return written
