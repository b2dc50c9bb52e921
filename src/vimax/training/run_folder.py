"""The run folder: resolved config, checkpoints, per-epoch and final metrics.

Layout of a run folder::

    config.json      the resolved RunConfig, git revision, versions
    checkpoint.pt    training state after the last finished epoch (removed when done)
    metrics.jsonl    one JSON line per finished epoch
    metrics.json     final figures; its presence marks the run as finished
    model.pt         the final weights (state dict) used for the final figures
    curves.png       the learning curves (written by ``vimax train`` and ``vimax evaluate``)
    tensorboard/     TensorBoard event files, when ``train.tensorboard`` is on

Every file is written atomically (the event files are appended to, and flushed each epoch).
"""

from __future__ import annotations

import json
import logging
import platform
import subprocess
from pathlib import Path
from typing import Any

import torch

from vimax.atomic import atomic_save_checkpoint, atomic_write_json, atomic_write_jsonl
from vimax.config import migrate, resolved
from vimax.errors import CheckpointError, VimaxError
from vimax.safe_files import load_checkpoint
from vimax.version import __version__

__all__ = ["RunFolder", "git_revision", "CONFIG", "CHECKPOINT", "HISTORY", "METRICS", "MODEL", "CURVES",
           "TENSORBOARD"]

logger = logging.getLogger(__name__)

CONFIG, CHECKPOINT, HISTORY, METRICS, MODEL, CURVES, TENSORBOARD = (
    "config.json", "checkpoint.pt", "metrics.jsonl", "metrics.json", "model.pt", "curves.png", "tensorboard",
)
EVALUATION = "evaluation.json"  # written by vimax.evaluate.evaluate_run


def git_revision() -> str | None:
    """The git commit of the vimax source tree, with "-dirty" if it has local changes."""
    root = Path(__file__).resolve().parents[2]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("-dirty" if dirty else "")


# how a run is watched, not what it computes: a resume may change them
VIEW_SETTINGS = (("train", "tensorboard"),)
# settings added after runs were saved without them, with the value that those runs trained with
ADDED_SETTINGS = {("train", "compile"): "off"}


def comparable_settings(config: dict[str, Any]) -> dict[str, Any]:
    """A config without its VIEW_SETTINGS, and with the ADDED_SETTINGS a run saved before them
    lacks, to compare two runs' settings."""
    kept = {section: dict(values) if isinstance(values, dict) else values
            for section, values in config.items()}
    for section, key in VIEW_SETTINGS:
        if isinstance(kept.get(section), dict):
            kept[section].pop(key, None)
    for (section, key), value in ADDED_SETTINGS.items():
        if isinstance(kept.get(section), dict):
            kept[section].setdefault(key, value)
    return kept


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config as {"section.key": value}."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


class RunFolder:
    """Reads and writes the files of one run."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def finished(self) -> bool:
        return (self.path / METRICS).is_file()

    def has_checkpoint(self) -> bool:
        return (self.path / CHECKPOINT).is_file()

    def check_can_start(self, config: dict[str, Any], resume: bool) -> None:
        """Refuse to write into a folder that holds something else (before any work is done)."""
        if self.path.exists() and not self.path.is_dir():
            raise VimaxError(f"{self.path} exists and is not a folder")
        above = next((p for p in self.path.absolute().parents if p.exists()), None)
        if above is not None and not above.is_dir():
            raise VimaxError(f"cannot create run folder {self.path}: {above} is not a folder")
        if self.path.is_dir() and any(self.path.iterdir()) and not resume:
            raise VimaxError(f"run folder {self.path} is not empty; pass --resume to continue "
                             "it or choose another --out")
        if resume and (self.path / CONFIG).is_file():  # both resolved: any version's config.json compares
            old = _flatten(comparable_settings(resolved(self.saved_config(), str(self.path / CONFIG))))
            new = _flatten(comparable_settings(resolved(config)))
            differ = [(key, old.get(key), new.get(key)) for key in sorted(old.keys() | new.keys())
                      if old.get(key) != new.get(key)]
            epochs = ("train.epochs", old.get("train.epochs"), new.get("train.epochs"))
            if epochs in differ and None not in epochs and epochs[2] > epochs[1]:  # more: an extension
                differ.remove(epochs)
            if differ:
                listed = "; ".join(f"{key} is {old!r} in the run, {new!r} given" for key, old, new in differ)
                raise VimaxError(f"{self.path} holds a run with other settings: {listed}; resume it with "
                                 "--resume alone (its saved settings) or choose another --out")

    def start(self, config: dict[str, Any], resume: bool, dataset: dict[str, Any]) -> None:
        """Create the folder and write config.json; refuse to overwrite another run.

        A resumed run keeps its config.json (the same config, checked): nothing in
        the folder changes before training goes on.
        """
        self.check_can_start(config, resume)
        if resume and (self.path / CONFIG).is_file():
            self._check_same_data(dataset)
            saved = self.read_json(CONFIG)
            if saved["config"] != json.loads(json.dumps(config)):  # only a larger train.epochs: record it
                atomic_write_json(self.path / CONFIG, {**saved, "config": config})
            return
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise VimaxError(f"cannot create run folder {self.path}: {error.strerror or error}") from None
        atomic_write_json(self.path / CONFIG, {
            "config": config,
            "dataset": dataset,
            "git_revision": git_revision(),
            "vimax_version": __version__,
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
        })

    def _check_same_data(self, dataset: dict[str, Any]) -> None:
        """A resumed run must read the data file it started on (same SHA-256)."""
        saved = self.read_json(CONFIG).get("dataset")
        before = saved.get("source") if isinstance(saved, dict) else None
        now = dataset.get("source")
        if isinstance(before, dict) and isinstance(now, dict) and before.get("sha256") != now.get("sha256"):
            raise VimaxError(f"{now.get('path')} changed since {self.path} started (SHA-256 "
                             f"{str(now.get('sha256'))[:16]}..., the run recorded "
                             f"{str(before.get('sha256'))[:16]}...); resume it on the same data")

    def saved_config(self) -> dict[str, Any]:
        """The run's config from config.json, in this version's layout (:func:`vimax.config.migrate`)."""
        saved = self.read_json(CONFIG)
        if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
            raise CheckpointError(f"{self.path / CONFIG} is not a vimax run config: no 'config' mapping")
        return migrate(saved["config"])

    def read_json(self, name: str) -> Any:
        try:
            return json.loads((self.path / name).read_text())
        except (OSError, ValueError) as error:
            raise CheckpointError(f"cannot read {self.path / name}: {error}") from None

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        atomic_save_checkpoint(state, self.path / CHECKPOINT)

    def load_checkpoint(self) -> dict[str, Any]:
        return load_checkpoint(self.path / CHECKPOINT)

    def write_history(self, history: list[dict[str, Any]]) -> None:
        atomic_write_jsonl(self.path / HISTORY, history)

    def read_history(self) -> list[dict[str, Any]]:
        """The rows of metrics.jsonl, one per finished epoch ([] when there is none); a line that
        cannot be read is skipped with a warning."""
        try:
            lines = (self.path / HISTORY).read_text().splitlines()
        except OSError:
            return []
        rows = []
        for number, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if isinstance(row, dict):
                rows.append(row)
            elif line.strip():
                logger.warning("%s line %d is not a JSON object; skipped", self.path / HISTORY, number)
        return rows

    def finish(self, metrics: dict[str, Any], model_state: dict[str, torch.Tensor],
               keep_checkpoint: bool = False) -> None:
        """Write model.pt, then metrics.json (which marks the run finished), then drop the checkpoint
        unless it is kept (the training state an extension to more epochs continues from)."""
        atomic_save_checkpoint(model_state, self.path / MODEL)
        atomic_write_json(self.path / METRICS, metrics)
        if not keep_checkpoint:
            (self.path / CHECKPOINT).unlink(missing_ok=True)
