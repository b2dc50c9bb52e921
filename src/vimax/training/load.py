"""Load a trained run back as a classifier."""

from __future__ import annotations

from pathlib import Path

import torch

from vimax.config import RunConfig
from vimax.errors import CheckpointError
from vimax.models.classifier import StochasticClassifier, build_classifier
from vimax.safe_files import load_checkpoint
from vimax.training.run_folder import CONFIG, MODEL, RunFolder

__all__ = ["load_run", "load_run_config"]


def load_run_config(run_dir: str | Path) -> tuple[RunConfig, dict]:
    """The run's :class:`RunConfig` and the saved dataset summary (shape, classes, H(Y))."""
    folder = RunFolder(run_dir)
    if not folder.path.is_dir():
        raise CheckpointError(f"{folder.path} is not a run folder")
    saved = folder.read_json(CONFIG)
    try:
        config = RunConfig.from_dict(folder.saved_config(), str(folder.path / CONFIG))
        dataset = saved["dataset"]
    except (KeyError, TypeError) as error:
        raise CheckpointError(f"{folder.path / CONFIG} is not a vimax run config: "
                              f"missing {error}") from None
    shape, classes = (dataset.get(k) if isinstance(dataset, dict) else None
                      for k in ("input_shape", "num_classes"))
    if not (isinstance(shape, list) and len(shape) >= 1 and _counts(shape) and _counts([classes])
            and classes >= 2):
        raise CheckpointError(f"{folder.path / CONFIG}: the dataset summary needs input_shape "
                              f"(a list of sizes, [C, H, W] for images) and num_classes >= 2, "
                              f"got {dataset!r:.100}")
    return config, dataset


def _counts(values: list) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in values)


def load_run(run_dir: str | Path, device: str | torch.device = "cpu") -> StochasticClassifier:
    """The trained classifier of a finished run, in eval mode.

    ``model(x)`` (x: inputs as the dataset gives them, (B, C, H, W) pixels in [0, 1]
    for images, standardised features for a data file of floats) returns the
    deterministic logits at z = mean; ``model.posterior(x)``,
    ``model.sample_logits(x, L)`` and ``model.predict_proba(x, L)`` give the
    stochastic view. The weights load with ``weights_only=True``: no code runs.
    """
    folder = RunFolder(run_dir)
    config, dataset = load_run_config(folder.path)
    if not folder.finished:
        raise CheckpointError(f"{folder.path} has not finished training (no metrics.json)")
    try:
        model = build_classifier(config.model, dataset["input_shape"], dataset["num_classes"])
    except (RuntimeError, ValueError, MemoryError) as error:  # e.g. a shape too large to allocate
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(f"{folder.path / CONFIG}: cannot build its model: {first}") from None
    state = load_checkpoint(folder.path / MODEL, map_location="cpu")
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as error:
        first = str(error).splitlines()[0]
        raise CheckpointError(f"{folder.path / MODEL} does not fit the run's model: {first}") from None
    return model.to(device).eval()
