"""Every run writes the regulariser diagnostics per epoch and at the end, and warns when β does nothing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

import vimax
from vimax.config import RunConfig
from vimax.config.train import TrainConfig
from vimax.metrics import DIAGNOSTIC_KEYS
from vimax.models.classifier import ModelConfig
from vimax.objectives import build_objective, objective_config

INACTIVE = "the regulariser is inactive"


def config(objective: str = "vim", epochs: int = 2, **objective_settings) -> RunConfig:
    return RunConfig(
        model=ModelConfig(hidden=(32, 32), latent_dim=4),
        objective=objective_config(objective)(**objective_settings),
        train=TrainConfig(epochs=epochs, lr=1e-3, batch_size=50, device="cpu", seed=2),
    )


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_run_writes_the_diagnostics_and_they_repeat_from_its_model(tmp_path, digits_dataset):
    """No weight average, so model.pt holds the weights of the last epoch's diagnostics: recomputing
    them on the first batch_size training examples with the run's seed gives the same numbers."""
    run = config("vim", beta=1.0)
    metrics = vimax.fit(run, tmp_path / "vim", dataset=digits_dataset)
    history = read_lines(tmp_path / "vim" / "metrics.jsonl")
    for row in history:
        assert all(isinstance(row[key], float) and math.isfinite(row[key]) for key in DIAGNOSTIC_KEYS)
        assert row["regulariser_grad_ratio"] > 0 and row["posterior_std_median"] > 0
    saved = json.loads((tmp_path / "vim" / "metrics.json").read_text())
    assert {key: saved[key] for key in DIAGNOSTIC_KEYS} == {key: history[-1][key] for key in DIAGNOSTIC_KEYS}
    assert saved["regulariser_active"] is True and metrics["regulariser_active"] is True

    model = vimax.load_run(tmp_path / "vim")
    train = digits_dataset.train
    again = vimax.regulariser_diagnostics(model, build_objective(run.objective), train.images[:50],
                                          train.labels[:50], seed=2)
    assert again == {key: history[-1][key] for key in DIAGNOSTIC_KEYS}


def test_a_deterministic_run_writes_null_diagnostics(tmp_path, tiny_digits):
    metrics = vimax.fit(config("deterministic", epochs=1), tmp_path / "det", dataset=tiny_digits)
    (row,) = read_lines(tmp_path / "det" / "metrics.jsonl")
    assert all(row[key] is None for key in DIAGNOSTIC_KEYS)
    assert all(metrics[key] is None for key in (*DIAGNOSTIC_KEYS, "regulariser_active"))


def test_vim_at_a_tiny_beta_warns_that_its_regulariser_is_inactive(tmp_path, tiny_digits, caplog):
    with caplog.at_level("WARNING", logger="vimax.training.loop"):
        metrics = vimax.fit(config("vim", epochs=3, beta=1e-9), tmp_path / "tiny", dataset=tiny_digits)
    assert INACTIVE in caplog.text and "over the last 3 epochs" in caplog.text
    assert metrics["regulariser_active"] is False
    ratios = [row["regulariser_grad_ratio"] for row in read_lines(tmp_path / "tiny" / "metrics.jsonl")]
    assert max(ratios) < 1e-3

    caplog.clear()
    with caplog.at_level("WARNING", logger="vimax.training.loop"):
        metrics = vimax.fit(config("vim", epochs=3, beta=100.0), tmp_path / "large", dataset=tiny_digits)
    assert INACTIVE not in caplog.text
    assert metrics["regulariser_active"] is True


def test_the_diagnostics_leave_training_unchanged(tmp_path, tiny_digits, monkeypatch):
    """A run with the diagnostics switched off ends with the same weights, bit for bit."""
    from vimax.training import loop

    vimax.fit(config("vim", epochs=2), tmp_path / "with", dataset=tiny_digits)
    monkeypatch.setattr(loop, "epoch_diagnostics", lambda *args: dict.fromkeys(DIAGNOSTIC_KEYS))
    vimax.fit(config("vim", epochs=2), tmp_path / "without", dataset=tiny_digits)
    first, second = (torch.load(tmp_path / name / "model.pt", weights_only=True)
                     for name in ("with", "without"))
    assert first.keys() == second.keys()
    assert all(torch.equal(first[key], second[key]) for key in first)
