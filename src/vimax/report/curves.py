"""Learning curves: the validation error and the loss terms per epoch, from metrics.jsonl.

One panel for the validation error (softmax averaged over samples), then one per part of the
objective the runs logged ("loss", "task", "kl" or "mmd", "rate_bits", "izy_bits", ...). A
:class:`Curve` is one run's rows, or the mean over the seeds of a setting (:func:`mean_curve`).
matplotlib is imported when a figure is drawn, never by ``import vimax``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vimax.atomic import atomic_write
from vimax.metrics.diagnostics import DIAGNOSTIC_KEYS
from vimax.training.run_folder import CURVES, RunFolder

__all__ = ["Curve", "run_curve", "mean_curve", "curve_figure", "write_run_curves", "TERM_TITLES"]

logger = logging.getLogger(__name__)

NOT_TERMS = {"epoch", "lr", "val_error", "val_error_mean_z", *DIAGNOSTIC_KEYS}
TERM_TITLES = {"loss": "loss (minimised)", "task": "task: cross-entropy (nats)",
               "kl": "KL(q(z|x) || p(z)) (nats)", "mmd": "MMD² of q(z) and p(z)",
               "rate_bits": "rate (bits)", "izy_bits": "I(Z;Y) bound (bits)"}
MARKERS_UP_TO = 20  # epochs; longer curves are drawn without markers


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


@dataclass
class Curve:
    """One line of every panel: values by key ("val_error", "loss", ...), each a list per epoch."""

    label: str
    epochs: list[int] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)

    def terms(self) -> list[str]:
        return [key for key in self.values if key not in NOT_TERMS]


def run_curve(history: list[dict[str, Any]], label: str) -> Curve:
    """A run's rows of metrics.jsonl as a Curve (rows without an epoch number are skipped)."""
    return mean_curve([history], label)


def mean_curve(histories: list[list[dict[str, Any]]], label: str) -> Curve:
    """The mean over runs (seeds) at each epoch of each number, over the runs that have it."""
    by_epoch: dict[int, dict[str, list[float]]] = {}
    keys: dict[str, None] = {}  # first-seen order
    for history in histories:
        for row in history:
            epoch = _number(row.get("epoch"))
            if epoch is None:
                continue
            cell = by_epoch.setdefault(int(epoch), {})
            for key, value in row.items():
                if key == "epoch" or isinstance(value, (dict, list, str, bool)):
                    continue
                keys.setdefault(key)
                number = _number(value)
                if number is not None:
                    cell.setdefault(key, []).append(number)
    epochs = sorted(by_epoch)
    values = {key: [sum(v) / len(v) if (v := by_epoch[e].get(key)) else None for e in epochs] for key in keys}
    return Curve(label, epochs, values)


def _panels(curves: list[Curve]) -> list[str]:
    keys = ["val_error"] if any("val_error" in c.values for c in curves) else []
    for curve in curves:
        keys += [key for key in curve.terms() if key not in keys]
    return keys


def _log_scale(curves: list[Curve], key: str) -> bool:
    """Log y for a term spanning more than two decades with positive values only."""
    values = [v for c in curves for v in c.values.get(key, []) if v is not None]
    return bool(values) and min(values) > 0 and max(values) / min(values) > 100


def curve_figure(curves: list[Curve], path: str | Path, title: str) -> Path | None:
    """Draw the curves (a panel per number) and write a PNG atomically; None when there is no epoch
    with a number to draw."""
    curves = [c for c in curves if c.epochs]
    keys = _panels(curves)
    if not keys:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    columns = min(3, len(keys))
    rows = math.ceil(len(keys) / columns)
    figure = Figure(figsize=(4.3 * columns, 3.1 * rows + 0.5), dpi=100)
    FigureCanvasAgg(figure)  # file-only canvas: no display, no pyplot state
    marker = "o" if max(len(c.epochs) for c in curves) <= MARKERS_UP_TO else None
    for index, key in enumerate(keys):
        axes = figure.add_subplot(rows, columns, index + 1)
        scale = 100.0 if key == "val_error" else 1.0
        for curve in curves:
            points = [(e, scale * v) for e, v in zip(curve.epochs, curve.values.get(key, []))
                      if v is not None]
            if points:
                axes.plot(*zip(*points), marker=marker, markersize=3, linewidth=1.3, label=curve.label)
        if key != "val_error" and _log_scale(curves, key):
            axes.set_yscale("log")
        panel = "validation error (%)" if key == "val_error" else TERM_TITLES.get(key, key)
        axes.set_title(panel, fontsize=10)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(True, alpha=0.3)
        if index == 0 and len(curves) > 1:
            axes.legend(fontsize=7, frameon=False)
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    path = Path(path)
    atomic_write(path, lambda handle: figure.savefig(handle, format="png"))
    return path


def write_run_curves(run_dir: str | Path) -> Path | None:
    """Write ``<run>/curves.png`` from its metrics.jsonl; None (and nothing written) without epochs."""
    folder = RunFolder(run_dir)
    history = folder.read_history()
    if not history:
        logger.info("%s has no finished epoch: no learning curves", folder.path)
        return None
    path = curve_figure([run_curve(history, folder.path.name)], folder.path / CURVES,
                        f"{folder.path.name}: learning curves")
    logger.debug("wrote %s", path)
    return path
