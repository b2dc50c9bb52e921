"""A live view of a run: each epoch's numbers as TensorBoard events in ``<run>/tensorboard/``.

Optional (``pip install 'vimax[tensorboard]'``); turned on by ``train.tensorboard`` or
``vimax train --tensorboard``. The events are written with
:class:`torch.utils.tensorboard.SummaryWriter` after the epoch's numbers are known, flushed at
once (a killed run loses none of its finished epochs), and touch neither the weights nor any
random state, so a run gives the same result with or without them. A resumed run opens the
folder with ``purge_step`` = the first epoch it trains, so TensorBoard hides the events of
the epochs it trains again.

Tags (the step is the 1-based epoch): ``train/<part>`` for the objective's parts ("loss",
"task", "kl" or "mmd", "rate_bits", "izy_bits", ...), ``val/error`` and ``val/error_mean_z``,
``lr``, ``diagnostics/<key>`` for the regulariser diagnostics, and at the end ``final/<key>``
for the final test and validation errors and the information plane.
"""

from __future__ import annotations

import logging
import math
import weakref
from pathlib import Path
from typing import Any

from vimax.errors import ConfigError
from vimax.metrics.diagnostics import DIAGNOSTIC_KEYS

__all__ = ["EventLog", "check_available", "epoch_scalars", "final_scalars", "MISSING"]

logger = logging.getLogger(__name__)

MISSING = ("train.tensorboard (--tensorboard) needs the tensorboard package, which is not installed: "
           "pip install 'vimax[tensorboard]'")
FINAL_KEYS = ("test_error", "test_error_mean_z", "val_error", "rate_bits", "izy_bits")
VAL_KEYS = {"val_error": "val/error", "val_error_mean_z": "val/error_mean_z"}


def _writer_class() -> type:
    """torch's SummaryWriter; ConfigError (one clear line) when tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # torch.utils.tensorboard raises ImportError itself when tensorboard is missing
        raise ConfigError(MISSING) from None
    return SummaryWriter


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def epoch_scalars(row: dict[str, Any]) -> dict[str, float]:
    """An epoch's row of metrics.jsonl as TensorBoard tags and numbers (None and non-finite left out)."""
    scalars: dict[str, float | None] = {}
    for key, value in row.items():
        if key == "epoch":
            continue
        if key == "lr":
            scalars["lr"] = _number(value)
        elif key in VAL_KEYS:
            scalars[VAL_KEYS[key]] = _number(value)
        elif key in DIAGNOSTIC_KEYS:
            scalars[f"diagnostics/{key}"] = _number(value)
        else:
            scalars[f"train/{key}"] = _number(value)
    return {tag: value for tag, value in scalars.items() if value is not None}


def final_scalars(metrics: dict[str, Any]) -> dict[str, float]:
    """The run's final figures as ``final/<key>`` tags."""
    scalars = {f"final/{key}": _number(metrics.get(key)) for key in FINAL_KEYS}
    return {tag: value for tag, value in scalars.items() if value is not None}


class EventLog:
    """The run's TensorBoard writer: one call per epoch, flushed each time.

    Args:
        folder: the event files' folder (``<run>/tensorboard``), created when missing.
        first_epoch: epochs already done (0 for a new run); later events of earlier attempts at the
            epochs trained from here on are hidden (TensorBoard's ``purge_step``).

    The writer is closed by :meth:`finish`, or when the object is collected (a run that failed).
    """

    def __init__(self, folder: Path, first_epoch: int) -> None:
        writer_class = _writer_class()
        self.writer = writer_class(log_dir=str(folder), purge_step=first_epoch + 1)
        self._close = weakref.finalize(self, self.writer.close)
        logger.info("TensorBoard events in %s (view them with: tensorboard --logdir %s)", folder, folder)

    def write(self, step: int, scalars: dict[str, float]) -> None:
        for tag, value in scalars.items():
            self.writer.add_scalar(tag, value, global_step=step)
        self.writer.flush()

    def epoch(self, row: dict[str, Any]) -> None:
        """An epoch's row of metrics.jsonl, at step ``row["epoch"]``."""
        self.write(int(row["epoch"]), epoch_scalars(row))

    def finish(self, epochs: int, metrics: dict[str, Any]) -> None:
        """The final figures at step ``epochs``; closes the writer."""
        self.write(epochs, final_scalars(metrics))
        self._close()


def check_available() -> None:
    """Raise ConfigError (before any work is done) when tensorboard is not installed."""
    _writer_class()
