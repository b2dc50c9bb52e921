"""Reuse a finished run of another sweep whose training config is identical.

Sweeps overlap: Tables 2 and 3 train the same deterministic, VIB and VIM runs
as Table 1 (same config, same seed), and Fig. 1 passes through beta = 1e-3. A
run is a function of its :class:`~vimax.config.RunConfig` (training is
deterministic given the seed; tests/training/test_crash_resume.py), so a
finished run with an identical resolved config anywhere under the results
folder is copied instead of trained again. Only training is shared: each sweep
still evaluates its own copy with its own settings. The copy's metrics.json is
written last (it marks the run finished) and ``reused_from`` names the source.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from vimax.atomic import atomic_write, atomic_write_json
from vimax.config import resolved
from vimax.data.files import fingerprint
from vimax.errors import VimaxError
from vimax.sweep.grid import RunSpec
from vimax.training.run_folder import (
    CHECKPOINT,
    CONFIG,
    HISTORY,
    METRICS,
    MODEL,
    RunFolder,
    comparable_settings,
)

__all__ = ["find_twin", "adopt_twin", "REUSED_FROM"]

logger = logging.getLogger(__name__)

REUSED_FROM = "reused_from"
# what a finished run folder must hold to be copied; metrics.json goes last
COPIED = (CONFIG, HISTORY, MODEL)


def _saved_config(folder: Path) -> dict[str, Any] | None:
    """The folder's config, resolved as this version would save it (None if it cannot be read)."""
    try:
        return resolved(RunFolder(folder).saved_config())
    except (VimaxError, ValueError):
        return None


def find_twin(spec: RunSpec) -> Path | None:
    """A finished run folder of another sweep (or profile) with the same resolved config, or None.

    Copies are passed over: the folder returned is one where the training ran.

    Looks at ``RESULTS_DIR/<sweep>/<profile>/<run>/``, the layout every sweep writes.
    """
    own = Path(spec.out_dir).resolve()
    results = own.parents[2]
    wanted = resolved(spec.config)
    for config_file in sorted(results.glob("*/*/*/config.json")):
        folder = config_file.parent
        complete = all((folder / name).is_file() for name in (*COPIED, METRICS))
        if not complete or folder.resolve() == own:
            continue
        saved = _saved_config(folder)
        same = saved is not None and comparable_settings(saved) == comparable_settings(wanted)
        if same and not _is_copy(folder) and _same_data(folder):
            return folder
    return None


def _same_data(folder: Path) -> bool:
    """A run trained on a data file is copied only while that file is unchanged (its SHA-256)."""
    try:
        source = json.loads((folder / CONFIG).read_text())["dataset"].get("source")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    if not isinstance(source, dict) or not source.get("sha256"):
        return True  # a named dataset: its files are fixed (checked by checksum when downloaded)
    return fingerprint(source.get("path", "")) == source["sha256"]


def _is_copy(folder: Path) -> bool:
    """A run folder whose training was itself copied: the original is the one to copy."""
    try:
        return REUSED_FROM in json.loads((folder / METRICS).read_text())
    except (OSError, ValueError):
        return True  # unreadable: not a run to copy from


def adopt_twin(spec: RunSpec, twin: Path) -> dict[str, Any]:
    """Copy ``twin``'s training into the spec's run folder; return its metrics.

    Every file is written atomically and metrics.json last, so a kill midway
    leaves a run that is simply not finished yet.
    """
    out = Path(spec.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        with open(twin / name, "rb") as source:
            atomic_write(out / name, lambda target, source=source: shutil.copyfileobj(source, target))
    metrics = json.loads((twin / METRICS).read_text())
    metrics[REUSED_FROM] = str(Path("..", "..", "..", *twin.resolve().parts[-3:]))
    atomic_write_json(out / METRICS, metrics)
    (out / CHECKPOINT).unlink(missing_ok=True)  # a partial run of its own is superseded
    logger.info("run %s: training copied from %s (identical config)", spec.run_id, twin)
    return metrics
