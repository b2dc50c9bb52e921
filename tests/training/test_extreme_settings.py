"""Extreme but legal settings train without NaN, or stop with a clear error (issue 6)."""

from __future__ import annotations

import math

import pytest

import vimax
from vimax.config import RunConfig
from vimax.config.train import TrainConfig
from vimax.models.classifier import ModelConfig
from vimax.objectives.config import objective_config
from vimax.training.loop import TrainingDiverged

SETTINGS = [
    ("vib", {"prior_std": 1e-3}),
    ("vib", {"prior_std": 1e3}),
    ("vim", {"prior_std": 1e-3}),
    ("vim", {"prior_std": 1e3}),
    ("vib", {"beta": 0.0}),
    ("vim", {"beta": 0.0}),
    ("vib", {"beta": 1e3}),
    ("vim", {"beta": 1e3}),
]


def config(objective: str, latent_dim: int = 4, epochs: int = 2, **objective_settings) -> RunConfig:
    return RunConfig(
        model=ModelConfig(hidden=(32, 32), latent_dim=latent_dim),
        objective=objective_config(objective)(**objective_settings),
        train=TrainConfig(epochs=epochs, lr=1e-2 if latent_dim == 1 else 1e-3, batch_size=50),
    )


def finite(metrics: dict) -> bool:
    numbers = [v for v in metrics.values() if isinstance(v, float)]
    return all(math.isfinite(v) for v in numbers)


@pytest.mark.parametrize(("objective", "settings"), SETTINGS, ids=lambda v: str(v))
def test_extreme_settings_train_or_fail_clearly(objective, settings, tmp_path, tiny_digits):
    try:
        metrics = vimax.fit(config(objective, **settings), tmp_path / "run", dataset=tiny_digits)
    except TrainingDiverged as error:
        assert "epoch" in str(error) and "\n" not in str(error)
        assert (tmp_path / "run" / "config.json").is_file()
        return
    assert finite(metrics), metrics
    assert 0.0 <= metrics["test_error"] <= 1.0


@pytest.mark.parametrize("objective", ["deterministic", "vib", "vim"])
def test_a_one_dimensional_latent_trains(objective, tmp_path, tiny_digits):
    metrics = vimax.fit(config(objective, latent_dim=1, epochs=15), tmp_path / "run", dataset=tiny_digits)
    assert finite(metrics)
    assert metrics["test_error"] < 0.8, metrics  # chance is 0.9: one dimension still carries labels
