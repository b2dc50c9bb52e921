"""Every run folder committed under results/ still loads: its saved config is a valid RunConfig, and a
model is rebuilt from it alone (the weights themselves, model.pt, are not committed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vimax.models.classifier import build_classifier
from vimax.training.load import load_run_config

RESULTS = Path(__file__).resolve().parents[2] / "results"
RUNS = sorted(p.parent for p in RESULTS.rglob("config.json"))


@pytest.mark.skipif(not RUNS, reason="no committed results")
def test_every_committed_run_config_loads_and_builds_its_model():
    names = set()
    for run in RUNS:
        config, summary = load_run_config(run)
        if config.objective.name not in names:  # one model per objective: the builder takes its config
            model = build_classifier(config.model, tuple(summary["input_shape"]), summary["num_classes"])
            assert model.latent_dim == config.model.latent_dim, run
        names.add(config.objective.name)
    assert len(RUNS) > 10 and {"vim", "vib", "deterministic"} <= names
